"""SQLite on the standard library (bot/adapters/sql/lite.py) answers as SQLAlchemy did: lists bound
to ``IN``, even empty; a savepoint undone on error while its transaction goes on; a constraint's refusal
as IntegrityError; a unit of work rolled back unless committed."""

from __future__ import annotations

import pytest

from bot.adapters.sql.lite import IntegrityError, LiteEngine
from bot.adapters.sql.store import statement, text


def test_lists_bind_to_in_and_an_empty_list_is_an_empty_set():
    engine = LiteEngine(":memory:", 5.0)
    params = {"none": [], "some": [1, 2]}
    sql = "SELECT 1 IN :none, 1 NOT IN :none, 2 IN :some, 3 IN :some"
    with engine.connect() as conn:
        assert conn.execute(statement(sql, params), params).first() == (0, 1, 1, 0)


def test_a_savepoint_is_undone_on_error_and_only_a_commit_keeps_the_work():
    engine = LiteEngine(":memory:", 5.0)
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO t VALUES (:k)"), {"k": 1})
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(text("INSERT INTO t VALUES (:k)"), {"k": 2})
            conn.execute(text("INSERT INTO t VALUES (:k)"), {"k": 1})
        assert conn.execute(text("SELECT k FROM t")).scalars().all() == [1]
        conn.commit()
        conn.execute(text("INSERT INTO t VALUES (3)"))  # left uncommitted: rolled back at the end
    with engine.connect() as conn:
        assert conn.execute(text("SELECT k FROM t ORDER BY k")).scalars().all() == [1]
        assert conn.execute(text("SELECT count(*) AS n FROM t")).mappings().all() == [{"n": 1}]
