"""Bringing a database to the latest schema, on either engine, at start-up.

New databases, and every change from now on: the Alembic history in ``history/``. A SQLite database
built by the first releases (sqlite-utils migrations m001..m010, ``legacy.py``) finishes that frozen
history, is stamped at the baseline it equals, and goes on with Alembic."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, inspect, text

from bot.adapters.sql.history import BASELINE, HEAD
from bot.adapters.sql.store import Store

__all__ = ["HEAD", "migrate", "version"]


def version(conn: Connection) -> str | None:
    """The revision the database is at (None: not migrated by Alembic yet)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(store: Store) -> str:
    """Upgrade in place to ``HEAD``; returns the revision reached. Cheap when there is nothing to do."""
    with store.connection() as conn:
        if version(conn) == HEAD:
            return HEAD
        conn.rollback()
        from alembic import command  # only when there is work: Alembic costs 0.4 s to import

        config = _alembic_config(conn)
        if version(conn) is None and inspect(conn).has_table("_sqlite_migrations"):
            _finish_legacy(conn)
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
        conn.commit()
        reached = version(conn)
    assert reached == HEAD, f"the history ends at {reached}, the code expects {HEAD}"
    return reached


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "bot.adapters.sql:history")
    config.attributes["connection"] = conn
    return config


def _finish_legacy(conn: Connection) -> None:
    """A database of the first releases: apply what is left of its own (frozen) history."""
    from sqlite_utils import Database

    from bot.adapters.sql.legacy import migrations

    migrations.apply(Database(conn.connection.driver_connection))
