"""What replicas must agree on beyond requests: signed Slack requests already handled (a replay may
reach another replica) and the OVHcloud call budget (one per consumer key, so one for all replicas).

Both count on the database's clock, so replicas on hosts whose clocks differ still agree."""

from __future__ import annotations

import logging
import secrets
from typing import Protocol

from bot.adapters.sql.store import BUDGET_LOCK, Member, text
from bot.domain import StorageError

log = logging.getLogger(__name__)

#: Remembered replays older than the window are deleted by about one insert in this many.
PRUNE_ONE_IN = 50


class SqlReplays(Member):
    """The repository's ``replays`` member: signed Slack requests already handled (adapters/http)."""

    def first_sight(self, key: str, window: float) -> bool:
        """True for the first replica to see ``key`` within ``window`` seconds; False for a replay.
        One insert, unserialized (the key's uniqueness decides); the old keys go once in a while."""
        now = self._store.epoch_sql()
        with self._store.write(serialize_on=None) as conn:
            if secrets.randbelow(PRUNE_ONE_IN) == 0:
                conn.execute(text(f"DELETE FROM replays WHERE seen_at < {now} - :window"), {"window": window})
            added = conn.execute(
                text(f"INSERT INTO replays (key, seen_at) VALUES (:key, {now}) ON CONFLICT DO NOTHING"),
                {"key": key},
            )
            return int(added.rowcount) == 1


class SqlBudget(Member):
    """The repository's ``budget`` member: the OVHcloud calls every replica made lately. No use case
    asks for it: the gateway's window (support/window.py) takes its places through DatabaseBudget."""

    def take_calls(self, count: int, limit: int, window: float, *, mutating: bool, replica: str) -> float:
        """Take ``count`` call places at once if every replica together has made fewer than ``limit``
        calls in the last ``window`` seconds (0.0), or none: then the seconds until enough leave."""
        with self._store.write(serialize_on=BUDGET_LOCK) as conn:
            now = float(conn.execute(text(f"SELECT {self._store.epoch_sql()}")).scalar_one())
            conn.execute(text("DELETE FROM ovh_calls WHERE at <= :edge"), {"edge": now - window})
            taken = conn.execute(text("SELECT at FROM ovh_calls ORDER BY at")).scalars().all()
            over = len(taken) + count - limit
            if over > 0:
                return max(0.001, float(taken[over - 1]) + window - now)
            for _ in range(count):
                conn.execute(
                    text("INSERT INTO ovh_calls (at, mutating, replica) VALUES (:at, :mutating, :replica)"),
                    {"at": now, "mutating": int(mutating), "replica": replica},
                )
        return 0.0


class _Counting(Protocol):
    def take_calls(self, count: int, limit: int, window: float, *, mutating: bool, replica: str) -> float: ...


class DatabaseBudget:
    """The OVHcloud budget's shared count (support/window.py SharedBudget) in the database."""

    def __init__(self, calls: _Counting, window: float, replica: str) -> None:
        self._calls, self._window, self._replica = calls, window, replica

    def take(self, count: int, limit: int, *, mutating: bool) -> float:
        try:
            return self._calls.take_calls(
                count, limit, self._window, mutating=mutating, replica=self._replica
            )
        except StorageError as error:  # no shared count, no call: the key's budget is everyone's
            log.warning("OVHcloud budget not counted (%s); calls wait", error)
            return 1.0
