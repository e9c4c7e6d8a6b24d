"""PostgreSQL through SQLAlchemy (psycopg 3), speaking what ``lite.py`` speaks: the same statements
(``Sql``), results and errors, so the repository never knows the engine. Imported only for a
``postgresql://`` location: a bot on SQLite never loads SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection as SaConnection
from sqlalchemy import Engine, bindparam, create_engine
from sqlalchemy import text as sa_text
from sqlalchemy.exc import IntegrityError as SaIntegrityError
from sqlalchemy.exc import OperationalError as SaOperationalError
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.sql.lite import DatabaseError, IntegrityError, OperationalError, Sql

#: What the store catches as "the database refused" on this engine, besides lite's errors.
NATIVE_ERRORS = (SQLAlchemyError,)


def pg_engine(location: str, connect_args: dict[str, Any]) -> Engine:
    url = "postgresql+psycopg://" + location.split("://", 1)[1]
    return create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        pool_pre_ping=True,  # a connection the server dropped is replaced, not handed out
        connect_args=connect_args,
    )


def _clause(statement: Any) -> Any:
    if not isinstance(statement, Sql):
        return statement  # SQLAlchemy's own (a test's text(), Alembic's)
    clause = sa_text(statement.text)
    return clause.bindparams(*(bindparam(name, expanding=True) for name in statement.expanding))


def _translated(error: SQLAlchemyError) -> DatabaseError:
    orig = getattr(error, "orig", None) or error
    if isinstance(error, SaIntegrityError):
        return IntegrityError(str(error), orig)
    if isinstance(error, SaOperationalError):
        return OperationalError(str(error), orig)
    return DatabaseError(str(error), orig)


class PgConnection:
    """A pooled SQLAlchemy connection that takes ``Sql`` statements and raises lite's errors."""

    dialect_name = "postgresql"

    def __init__(self, conn: SaConnection) -> None:
        self.sa = conn
        self.info: dict[str, Any] = conn.info

    @property
    def dialect(self) -> Any:
        return self.sa.dialect

    def execute(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Any:
        try:
            return self.sa.execute(_clause(statement), dict(parameters or {}))
        except SQLAlchemyError as error:
            raise _translated(error) from error

    def exec_driver_sql(self, sql: str) -> Any:
        try:
            return self.sa.exec_driver_sql(sql)
        except SQLAlchemyError as error:
            raise _translated(error) from error

    def begin(self) -> Any:
        return self.sa.begin()

    def begin_nested(self) -> Any:
        return self.sa.begin_nested()

    def commit(self) -> None:
        self.sa.commit()

    def rollback(self) -> None:
        self.sa.rollback()


class PgEngine:
    def __init__(self, location: str, connect_args: dict[str, Any]) -> None:
        try:
            self.sa = pg_engine(location, connect_args)
        except SQLAlchemyError as error:
            raise _translated(error) from error

    @contextmanager
    def connect(self) -> Iterator[PgConnection]:
        with self.sa.connect() as conn:
            yield PgConnection(conn)

    def dispose(self) -> None:
        self.sa.dispose()
