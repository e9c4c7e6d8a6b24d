"""What `pcc-bot doctor` says about a database without writing to it: a check never creates a file nor
migrates a schema (`serve` does both at start-up)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bot.adapters.sql.schema import HEAD, version
from bot.adapters.sql.store import Store
from bot.domain import StorageError
from bot.support.locations import is_postgres


@dataclass(frozen=True)
class Found:
    server: str  # "SQLite 3.45.1", "PostgreSQL 18.0", or "" when the file does not exist yet
    revision: str | None  # None: not created or not migrated yet
    head: str = HEAD

    @property
    def current(self) -> bool:
        return self.revision == self.head


def inspect_database(location: str) -> Found:
    """The server and the schema's revision, read only; StorageError when it cannot be read."""
    if not is_postgres(location) and location != ":memory:" and not os.path.exists(location):
        folder = os.path.dirname(os.path.abspath(location))
        if not os.access(folder, os.W_OK):
            raise StorageError(f"{location} does not exist and its folder {folder} is not writable")
        return Found("", None)
    if not is_postgres(location) and location != ":memory:" and not os.access(location, os.W_OK):
        raise StorageError(f"{location} is not writable")
    store = Store(location)
    try:
        with store.connection() as conn:
            if store.postgres:
                found = conn.exec_driver_sql("SELECT current_setting('server_version')").scalar()
                server = f"PostgreSQL {found}"
            else:
                server = f"SQLite {conn.exec_driver_sql('SELECT sqlite_version()').scalar()}"
            return Found(server, version(conn))
    finally:
        store.close()


def database_time(location: str) -> float:
    """The database's clock, as seconds since the epoch (read only); StorageError when unreadable."""
    store = Store(location)
    try:
        with store.connection() as conn:
            return float(conn.exec_driver_sql(f"SELECT {store.epoch_sql()}").scalar() or 0.0)
    finally:
        store.close()
