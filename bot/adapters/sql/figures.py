"""The repository's figures: how long the oldest work has been waiting, for /metrics (the leader's).

Both reads walk a partial index over what is waiting only (notices not yet sent, requests of approved
plans), so a scrape costs as much as the backlog, never the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.adapters.sql.rows import parse
from bot.adapters.sql.store import Member


@dataclass(frozen=True)
class Waiting:
    """How many wait in a queue, and since when the oldest."""

    count: int
    since: datetime | None

    def age(self, now: datetime) -> float:
        """Seconds the oldest has waited (0 when nothing waits)."""
        return max(0.0, (now - self.since).total_seconds()) if self.since is not None else 0.0


class SqlFigures(Member):
    """The repository's ``figures`` member: the queues' figures (bot/ops/figures.py)."""

    def notices_waiting(self) -> Waiting:
        """Notices queued and not yet accepted by the chat (nor dead-lettered)."""
        (row,) = self._store.rows(
            "SELECT count(*) AS n, min(created_at) AS since FROM notices "
            "WHERE sent_at IS NULL AND dead_at IS NULL"
        )
        return Waiting(int(row["n"]), parse(row["since"]))

    def notice_queued_at(self, notice_id: int) -> datetime | None:
        """When a notice was queued (None: no such notice)."""
        rows = self._store.rows("SELECT created_at FROM notices WHERE id = :id", {"id": notice_id})
        return parse(rows[0]["created_at"]) if rows else None

    def dispatch_waiting(self) -> Waiting:
        """Datastores of approved plans whose copy is not sent yet, since their plan's approval."""
        (row,) = self._store.rows(
            "SELECT count(*) AS n, min(p.decided_at) AS since FROM plans p "
            "JOIN requests r ON r.plan_id = p.id WHERE p.state = 'approved' AND r.state = 'pending'"
        )
        return Waiting(int(row["n"]), parse(row["since"]))
