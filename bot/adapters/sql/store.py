"""One database, either engine: connections, units of work, and what differs between the engines.

Everything that depends on the engine is decided here, once:
- SQLite (a file path, or ``:memory:``): one connection shared by the process's threads behind a lock,
  WAL, foreign keys on, created readable by its owner only. One process writes it.
- PostgreSQL (a ``postgresql://`` URL): a pool of connections (psycopg 3) with TCP keepalives; every
  write transaction first takes one transaction-level advisory lock, so writes are serialized across
  every replica exactly as SQLite serializes them (no deadlock between the counters' rows, and one
  behaviour to test). Reads take no lock.
- A frozen replica (SIGSTOP, a paused VM) never holds the others: its sessions carry
  ``idle_in_transaction_session_timeout`` (the server ends a transaction left open, and its locks go
  with it), ``lock_timeout`` (a wait for a lock ends, and the write waits again from the start, for
  ``LOCK_PATIENCE`` seconds in all, before it is answered as refused) and server-side TCP keepalives
  (a vanished host is noticed in seconds, not two hours).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

from bot.adapters.sql.lite import (
    Connection,
    DatabaseError,
    IntegrityError,
    LiteEngine,
    OperationalError,
    Sql,
    text,
)
from bot.domain import StorageError
from bot.support.locations import is_postgres, redact

__all__ = ["Connection", "IntegrityError", "Member", "Store", "insert", "statement", "text"]

#: The advisory lock every PostgreSQL write transaction takes first (any constant of our own).
WRITE_LOCK = 0x50CC_0001
#: The OVHcloud budget's count has a lock of its own: counting a call never waits behind a decision.
BUDGET_LOCK = 0x50CC_0003
#: TCP keepalives: a replica whose host vanished is noticed in about a minute, not two hours.
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
#: What every session of ours carries on the server's side (PostgreSQL's own settings).
SESSION_SETTINGS: dict[str, str] = {
    "lock_timeout": "3s",  # a lock held by a frozen replica: stop waiting, wait again (LOCK_PATIENCE)
    "idle_in_transaction_session_timeout": "10s",  # a transaction left open: ended, its locks freed
    "tcp_keepalives_idle": "10",  # the server notices a vanished client in about 25 s
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}
#: A write waits this long in all for the write lock (longer than a frozen holder keeps it: the
#: server ends its transaction after idle_in_transaction_session_timeout) before it is refused.
LOCK_PATIENCE = 25.0
#: PostgreSQL's "lock_not_available": lock_timeout ended a wait.
LOCK_NOT_AVAILABLE = "55P03"


def session_options(settings: Mapping[str, str]) -> str:
    """libpq's ``options``: server settings for every session of a connection."""
    return " ".join(f"-c {name}={value}" for name, value in settings.items())


def lock_not_available(error: BaseException) -> bool:
    return getattr(getattr(error, "orig", None), "sqlstate", None) == LOCK_NOT_AVAILABLE


def _engine(location: str, busy_timeout: float) -> Any:
    """SQLite on the standard library (``lite.py``), PostgreSQL through SQLAlchemy (``pg.py``)."""
    if is_postgres(location):
        from bot.adapters.sql.pg import PgEngine

        connect_args = {
            "connect_timeout": 5,
            "application_name": "pcc-bot",
            "options": session_options(SESSION_SETTINGS),
            **KEEPALIVES,
        }
        return PgEngine(location, connect_args)
    if location != ":memory:" and not os.path.exists(location):  # owner only: who decided what
        os.close(os.open(location, os.O_CREAT | os.O_WRONLY, 0o600))  # SQLite's WAL, SHM follow
    # One connection for the process's threads (the store's lock keeps them one at a time); BEGIN,
    # SAVEPOINT and COMMIT are exactly the ones we ask for. A write takes the file's write lock at
    # BEGIN (IMMEDIATE): two processes that both read first and then write would otherwise deadlock
    # at the upgrade, which SQLite answers "database is locked".
    return LiteEngine(location, busy_timeout)


def _native_errors(postgres: bool) -> tuple[type[BaseException], ...]:
    """The errors the driver layer may raise outside a statement (a pool's connect, a commit)."""
    if not postgres:
        import sqlite3

        return (DatabaseError, sqlite3.Error)
    from bot.adapters.sql.pg import NATIVE_ERRORS

    return (DatabaseError, *NATIVE_ERRORS)


class Store:
    """The engine of one database and how to read and write it."""

    def __init__(self, location: str, busy_timeout: float = 5.0) -> None:
        self.location = location
        self.postgres = is_postgres(location)
        self.dialect = "postgresql" if self.postgres else "sqlite"
        try:
            self.engine = _engine(location, busy_timeout)
        except ImportError as error:
            raise StorageError(
                "PCC_DATABASE_URL needs the PostgreSQL driver: pip install 'pcc-bot[postgres]'"
            ) from error
        except (DatabaseError, OSError) as error:
            raise StorageError(f"cannot open the database {redact(location)}: {error}") from error
        self._errors = _native_errors(self.postgres)
        # SQLite: the process's threads share one connection, one at a time. PostgreSQL: the pool.
        self._lock: Any = nullcontext() if self.postgres else threading.RLock()
        self._closed = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self.engine.dispose()

    def lock(self) -> Any:
        """The store's lock (SQLite: the one connection's users one at a time)."""
        return self._lock

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"the database {redact(self.location)} is closed (the bot is stopping)")

    @contextmanager
    def write(self, serialize_on: int | None = WRITE_LOCK) -> Iterator[Connection]:
        """One transaction: committed at the end, rolled back on any exception. IntegrityError goes
        through as such (callers turn it into a Conflict); other database errors become StorageError.
        On PostgreSQL it first takes the advisory lock ``serialize_on`` (None: a write that touches
        nothing another write could wait on, like remembering a replay, takes none)."""
        with self._lock:
            self._check_open()
            try:
                with self._serialized(serialize_on) as conn:
                    yield conn
            except IntegrityError:
                raise
            except self._errors as error:
                if lock_not_available(error):
                    raise StorageError(
                        "the database is busy (a lock held by another replica did not come free): "
                        "nothing was changed, try again"
                    ) from error
                raise StorageError(f"the database refused the change: {_short(error)}") from error

    @contextmanager
    def _serialized(self, serialize_on: int | None) -> Iterator[Connection]:
        """A transaction holding the advisory lock ``serialize_on`` (PostgreSQL). A wait that
        lock_timeout ends is rolled back and started again (nothing was done yet) until
        ``LOCK_PATIENCE`` has passed: a frozen holder loses its transaction long before that."""
        deadline = time.monotonic() + LOCK_PATIENCE
        while True:
            with self.engine.connect() as conn, self._writing(conn):
                transaction = conn.begin()
                try:
                    if self.postgres and serialize_on is not None:
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": serialize_on})
                except OperationalError as error:
                    transaction.rollback()
                    if lock_not_available(error) and time.monotonic() < deadline:
                        continue
                    raise
                with transaction:
                    yield conn
                return

    @contextmanager
    def _writing(self, conn: Connection) -> Iterator[None]:
        conn.info["begin"] = "BEGIN IMMEDIATE"
        try:
            yield
        finally:
            conn.info.pop("begin", None)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for reads (and DDL at start), outside any unit of work."""
        with self._lock:
            self._check_open()
            try:
                with self.engine.connect() as conn:
                    yield conn
            except self._errors as error:
                raise StorageError(f"the database could not be read: {_short(error)}") from error

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """A read's rows as dicts (a list value binds as the list of ``IN :name``)."""
        with self.connection() as conn:
            return [dict(row) for row in conn.execute(statement(sql, params), dict(params or {})).mappings()]

    def epoch_sql(self) -> str:
        """The database's clock as seconds since the epoch: one clock for every replica."""
        if self.postgres:
            return "extract(epoch from clock_timestamp())::float8"
        return "(julianday('now') - 2440587.5) * 86400.0"


class Member:
    """One member of the repository (requests, plans, notices, audit...): its share of the one store,
    whose units of work are its transactions. A change that writes to several tables (a request's
    state, its audit line and its notices) is one member's one transaction."""

    def __init__(self, store: Store) -> None:
        self._store = store


def statement(sql: str, params: Mapping[str, Any] | None = None) -> Sql:
    """``sql`` with each parameter whose value is a list bound as a list: ``state IN :states``."""
    return Sql(sql, [name for name, value in (params or {}).items() if isinstance(value, list)])


def _short(error: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's statement dump and link."""
    original = getattr(error, "orig", None)
    return str(original or error).strip().splitlines()[0]


def insert(conn: Connection, table: str, row: Mapping[str, Any]) -> int:
    """Insert one row; its new id (RETURNING: SQLite 3.35+ and PostgreSQL alike)."""
    names = list(row)
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(f':{n}' for n in names)}) RETURNING id"
    )
    return int(conn.execute(text(sql), dict(row)).scalar_one())
