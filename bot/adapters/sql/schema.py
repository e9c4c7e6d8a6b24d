"""Bringing a database to the latest schema, on either engine, at start-up.

New databases, and every change from now on: the Alembic history in ``history/``. A SQLite database
built by the first releases (sqlite-utils migrations m001..m010, ``legacy.py``) finishes that frozen
history, is stamped at the baseline it equals, and goes on with Alembic.

A database already at ``HEAD`` costs one read: neither Alembic nor SQLAlchemy is imported (on SQLite;
PostgreSQL talks through SQLAlchemy anyway). A new in-memory SQLite database is a copy of the first
one this process migrated (the same history, run once per process)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.adapters.sql.history import BASELINE, HEAD
from bot.adapters.sql.store import Connection, Store, text

__all__ = ["HEAD", "migrate", "version"]

_template_lock = threading.Lock()
_template: sqlite3.Connection | None = None  # an in-memory database at HEAD, once one was migrated


def has_table(conn: Connection, name: str) -> bool:
    if conn.dialect_name == "postgresql":
        sql = "SELECT to_regclass(:name) IS NOT NULL"
    else:
        sql = "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = :name"
    return bool(conn.execute(text(sql), {"name": name}).scalar())


def version(conn: Connection) -> str | None:
    """The revision the database is at (None: not migrated by Alembic yet)."""
    if not has_table(conn, "alembic_version"):
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if found is None else str(found)


def migrate(store: Store) -> str:
    """Upgrade in place to ``HEAD``; returns the revision reached. Cheap when there is nothing to do."""
    memory = store.location == ":memory:"
    with store.connection() as conn:
        if version(conn) == HEAD:
            return HEAD
        conn.rollback()
        if memory and _copied(store):
            return migrate(store)
        legacy = version(conn) is None and has_table(conn, "_sqlite_migrations")
        conn.rollback()
    with store.lock(), _sqlalchemy_connection(store) as sa_conn:
        _upgrade(sa_conn, legacy)
    with store.connection() as conn:
        reached = version(conn)
    assert reached == HEAD, f"the history ends at {reached}, the code expects {HEAD}"
    if memory:
        _keep(store)
    return reached


@contextmanager
def _sqlalchemy_connection(store: Store) -> Iterator[Any]:
    """A SQLAlchemy connection for Alembic: PostgreSQL's pool, or SQLite's one connection itself."""
    if store.postgres:
        with store.engine.sa.connect() as conn:
            yield conn
        return
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import StaticPool

    engine = create_engine("sqlite://", creator=lambda: _Borrowed(store.engine.raw), poolclass=StaticPool)
    # sqlite3 runs in autocommit here (our transactions are explicit): Alembic's BEGIN is ours too.
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()  # closes the _Borrowed, never the store's connection


class _Borrowed:
    """The store's sqlite3 connection lent to SQLAlchemy, which may close it: that close is ignored."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def close(self) -> None:
        pass


def _upgrade(sa_conn: Any, legacy: bool) -> None:
    from alembic import command  # only when there is work: Alembic costs 0.4 s to import
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "bot.adapters.sql:history")
    config.attributes["connection"] = sa_conn
    if legacy:
        _finish_legacy(sa_conn)
        command.stamp(config, BASELINE)
    command.upgrade(config, "head")
    sa_conn.commit()


def _finish_legacy(sa_conn: Any) -> None:
    """A database of the first releases: apply what is left of its own (frozen) history."""
    from sqlite_utils import Database

    from bot.adapters.sql.legacy import migrations

    migrations.apply(Database(sa_conn.connection.driver_connection))


def _copied(store: Store) -> bool:
    """A new in-memory database: a copy of the template, when this process has one."""
    with _template_lock:
        if _template is None:
            return False
        _template.backup(store.engine.raw)
    return True


def _keep(store: Store) -> None:
    global _template
    with _template_lock:
        if _template is None:
            kept = sqlite3.connect(":memory:", check_same_thread=False)
            store.engine.raw.backup(kept)
            _template = kept
