"""The little of SQLAlchemy Core the repository uses, for SQLite on the standard library alone.

A bot on SQLite never imports SQLAlchemy (about 0.3 s and 10 MiB at every start): its statements
are plain SQL with ``:name`` parameters, which sqlite3 binds natively. The same statements, results
and errors go to PostgreSQL through SQLAlchemy (``pg.py``), so the repository does not know which
engine it talks to. Alembic (through SQLAlchemy) is imported only when a schema must change.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["Connection", "DatabaseError", "IntegrityError", "OperationalError", "Sql", "text"]


class DatabaseError(Exception):
    """A database refused a statement; ``orig`` is the driver's own error."""

    def __init__(self, message: str, orig: BaseException | None = None) -> None:
        super().__init__(message)
        self.orig = orig


class IntegrityError(DatabaseError):
    """A constraint refused the change (a unique index, a foreign key)."""


class OperationalError(DatabaseError):
    """The database could not do it now (locked, gone, a lock wait ended)."""


class Sql:
    """A statement with ``:name`` parameters; ``expanding`` names bind a list (``IN :states``)."""

    __slots__ = ("expanding", "text")

    def __init__(self, sql: str, expanding: Sequence[str] = ()) -> None:
        self.text = sql
        self.expanding = tuple(expanding)


def text(sql: str) -> Sql:
    return Sql(sql)


class Result:
    """The rows of one statement, read at once (the repository's results are small)."""

    def __init__(self, names: Sequence[str], rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._names = list(names)
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def all(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    fetchone = first

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise DatabaseError(f"one row expected, {len(self._rows)} found")
        return self._rows[0][0]

    def scalars(self) -> _Listed:
        return _Listed([row[0] for row in self._rows])

    def mappings(self) -> _Listed:
        return _Listed([dict(zip(self._names, row, strict=True)) for row in self._rows])


class _Listed(list[Any]):
    def all(self) -> list[Any]:
        return list(self)


class Connection(Protocol):
    """What the repository asks of a connection, on either engine."""

    info: dict[str, Any]
    dialect_name: str

    def execute(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Any: ...

    def exec_driver_sql(self, sql: str) -> Any: ...

    def begin_nested(self) -> Any: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


def expanded(statement: Any, parameters: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters for sqlite3: each expanding list becomes ``(:name_0, :name_1, …)``."""
    sql = statement.text if isinstance(statement, Sql) else str(getattr(statement, "text", statement))
    params = dict(parameters or {})
    for name in statement.expanding if isinstance(statement, Sql) else ():
        values = list(params.pop(name))
        keys = [f"{name}_{i}" for i in range(len(values))]
        params.update(zip(keys, values, strict=True))
        listed = ", ".join(f":{key}" for key in keys) or "SELECT 1 WHERE 0"  # an empty set
        sql = re.sub(rf"(?<![:\w]):{name}\b", f"({listed})", sql)
    return sql, params


def _translated(error: sqlite3.Error) -> DatabaseError:
    if isinstance(error, sqlite3.IntegrityError):
        return IntegrityError(str(error), error)
    if isinstance(error, sqlite3.OperationalError):
        return OperationalError(str(error), error)
    return DatabaseError(str(error), error)


class LiteConnection:
    """One use of the process's SQLite connection: a transaction starts at the first statement (as
    SQLAlchemy's autobegin does) with ``info["begin"]`` (BEGIN IMMEDIATE for a write) and is rolled
    back at the end unless committed."""

    dialect_name = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw
        self.info: dict[str, Any] = {}
        self._savepoints = 0

    @property
    def driver_connection(self) -> sqlite3.Connection:
        return self._raw

    def _run(self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()) -> Result:
        try:
            cursor = self._raw.execute(sql, params)
            rows = cursor.fetchall()
        except sqlite3.Error as error:
            raise _translated(error) from error
        names = [column[0] for column in cursor.description or ()]
        return Result(names, rows, cursor.rowcount)

    def begin(self) -> _Transaction:
        if not self._raw.in_transaction:
            self._run(self.info.get("begin", "BEGIN"))
        return _Transaction(self)

    def execute(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Result:
        self.begin()
        return self._run(*expanded(statement, parameters))

    def exec_driver_sql(self, sql: str) -> Result:
        self.begin()
        return self._run(sql)

    @contextmanager
    def begin_nested(self) -> Iterator[None]:
        """A savepoint: released at the end, rolled back to on any exception (which goes on)."""
        self.begin()
        self._savepoints += 1
        name = f"sp_{self._savepoints}"
        self._run(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._run(f"ROLLBACK TO SAVEPOINT {name}")
            self._run(f"RELEASE SAVEPOINT {name}")
            raise
        self._run(f"RELEASE SAVEPOINT {name}")

    def commit(self) -> None:
        if self._raw.in_transaction:
            self._run("COMMIT")

    def rollback(self) -> None:
        if self._raw.in_transaction:
            self._run("ROLLBACK")


class _Transaction:
    def __init__(self, conn: LiteConnection) -> None:
        self._conn = conn

    def rollback(self) -> None:
        self._conn.rollback()

    def __enter__(self) -> _Transaction:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self._conn.commit()
        else:
            self._conn.rollback()


class LiteEngine:
    """The process's one SQLite connection (the store's lock keeps its users one at a time)."""

    def __init__(self, location: str, busy_timeout: float) -> None:
        try:
            self.raw = sqlite3.connect(location, timeout=busy_timeout, check_same_thread=False)
            # Transactions are ours: BEGIN, SAVEPOINT and COMMIT exactly where the store asks.
            self.raw.isolation_level = None
            self.raw.execute("PRAGMA foreign_keys = ON")
            if location != ":memory:":
                self.raw.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as error:
            raise _translated(error) from error

    @contextmanager
    def connect(self) -> Iterator[LiteConnection]:
        conn = LiteConnection(self.raw)
        try:
            yield conn
        finally:
            conn.rollback()

    def dispose(self) -> None:
        self.raw.close()
