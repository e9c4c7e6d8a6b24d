"""One schema, however it was reached: a new SQLite database, one the first releases built and this
release upgraded, and a new PostgreSQL database have the same tables, columns, keys, indexes and
counting triggers."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlite_utils import Database

from bot.adapters.sql.history import HEAD
from bot.adapters.sql.legacy import migrations as legacy
from bot.adapters.sql.repository import SqlRepository

BOOKKEEPING = {"alembic_version", "_sqlite_migrations"}
#: Words of an index's condition that are SQL rather than the schema's own names and values.
SQL_WORDS = {"where", "in", "is", "not", "null", "and", "any", "array", "text", "or"}


def _type(column: Any) -> str:
    name = str(column["type"]).lower()
    return "integer" if "int" in name else name.replace("double precision", "float").replace("real", "float")


def _condition(options: dict[str, Any]) -> set[str]:
    where = options.get("sqlite_where", options.get("postgresql_where"))
    return set(re.findall(r"[a-z_]+", str(where).lower())) - SQL_WORDS if where is not None else set()


def _default(value: str | None) -> str | None:
    if value is None or value.startswith("nextval("):  # PostgreSQL's numbering of a key
        return None
    return re.sub(r"[^0-9a-z]", "", value.split("::")[0].lower())


def schema(url: str) -> dict[str, Any]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            tables = sorted(set(found.get_table_names()) - BOOKKEEPING)
            described: dict[str, Any] = {
                table: {
                    "columns": {
                        c["name"]: (_type(c), c["nullable"] or c["name"] in pk, _default(c["default"]))
                        for c in found.get_columns(table)
                    },
                    "primary key": pk,
                    "indexes": {
                        i["name"]: (
                            tuple(i["column_names"]),
                            bool(i["unique"]),
                            _condition(i["dialect_options"]),
                        )
                        for i in found.get_indexes(table)
                    },
                    "foreign keys": sorted(
                        (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                        for f in found.get_foreign_keys(table)
                    ),
                }
                for table in tables
                for pk in [tuple(found.get_pk_constraint(table)["constrained_columns"])]
            }
            described["triggers"] = _triggers(conn)
            return described
    finally:
        engine.dispose()


def _triggers(conn: Any) -> list[str]:
    if conn.dialect.name == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return sorted(conn.execute(text(sql)).scalars())


def test_the_code_expects_the_history_alembic_has():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "bot.adapters.sql:history")
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_a_new_and_an_upgraded_sqlite_database_are_the_same_schema(tmp_path):
    old = tmp_path / "first-release.db"
    legacy.apply(Database(old))  # what the first releases left
    for path in (old, tmp_path / "new.db"):
        SqlRepository(str(path)).close()
    assert schema(f"sqlite:///{old}") == schema(f"sqlite:///{tmp_path / 'new.db'}")


def test_postgresql_has_the_schema_sqlite_has(tmp_path, postgres):
    SqlRepository(str(tmp_path / "new.db")).close()
    on_sqlite, on_postgres = schema(f"sqlite:///{tmp_path / 'new.db'}"), schema(postgres.fresh())
    assert on_postgres == on_sqlite
    assert on_postgres["triggers"] == [
        "audit_counted",
        "requests_counted_on_insert",
        "requests_counted_on_move",
    ]
    assert on_postgres["requests"]["indexes"]["one_active_request_per_filer"][1] is True
