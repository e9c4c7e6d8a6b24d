"""The Repository on SQL, either engine: one store, and its members over it.

Each member (usecases/stores.py) is one object sharing the store's connection and units of work: the
requests (requests.py), the plans (plans.py), the outbox's notices (outbox.py), the audit trail
(audit.py), the approvals' votes (approvals.py), the pause (pause.py) and the incident boards
(boards.py); for the adapters and the operations only, what replicas share (replays, the OVHcloud
call budget: shared.py) and the queues' figures (figures.py). Every unit of work is one transaction
(store.py): a change that writes a request, its audit line and its notices is one member's one write.
Schema changes only through the migration history (schema.py); rows and dataclasses map in rows.py.
"""

from __future__ import annotations

from bot.adapters.sql.approvals import SqlVotes
from bot.adapters.sql.audit import SqlAudit
from bot.adapters.sql.boards import SqlBoards
from bot.adapters.sql.figures import SqlFigures
from bot.adapters.sql.outbox import SqlNotices
from bot.adapters.sql.pause import SqlPause
from bot.adapters.sql.plans import SqlPlans
from bot.adapters.sql.requests import SqlRequests
from bot.adapters.sql.schema import migrate
from bot.adapters.sql.shared import SqlBudget, SqlReplays
from bot.adapters.sql.store import Store, text
from bot.domain import StorageError
from bot.support.locations import redact

__all__ = ["SqlRepository"]


class SqlRepository:
    """The Repository (usecases/stores.py) on SQLite (a file path, or ``:memory:``) or PostgreSQL (a
    URL): its members share one store."""

    def __init__(self, location: str, busy_timeout: float = 5.0) -> None:
        self._store = Store(location, busy_timeout)
        try:
            self.revision = migrate(self._store)
        except StorageError as error:
            self._store.close()
            raise StorageError(f"cannot open the database {redact(location)}: {error}") from error
        except BaseException:
            self._store.close()
            raise
        self.requests = SqlRequests(self._store)
        self.plans = SqlPlans(self._store)
        self.notices = SqlNotices(self._store)
        self.audit = SqlAudit(self._store)
        self.votes = SqlVotes(self._store)
        self.pause = SqlPause(self._store)
        self.boards = SqlBoards(self._store)
        self.replays = SqlReplays(self._store)
        self.budget = SqlBudget(self._store)
        self.figures = SqlFigures(self._store)

    @property
    def store(self) -> Store:
        """The one store its members share (a member measured at the composition root shares it too)."""
        return self._store

    @property
    def engine_name(self) -> str:
        return self._store.dialect

    def close(self) -> None:
        self._store.close()

    def server_version(self) -> str:
        """The database server, as ``doctor`` reports it (it also proves a write works)."""
        if self._store.postgres:
            found = self._store.rows("SELECT current_setting('server_version') AS v")[0]["v"]
            name = "PostgreSQL"
        else:
            found, name = self._store.rows("SELECT sqlite_version() AS v")[0]["v"], "SQLite"
        with self._store.write() as conn:
            conn.execute(text("DELETE FROM replays WHERE key = ''"))  # a write, touching nothing
        return f"{name} {found}"

    def database_time(self) -> float:
        """The database's clock, as seconds since the epoch (what the replicas' clocks follow)."""
        return float(self._store.rows(f"SELECT {self._store.epoch_sql()} AS t")[0]["t"])
