"""The outbox of chat notices: queued in the transaction of the change they tell about, claimed by
one replica at a time with a lease, marked sent once Slack accepted them.

A claim is a lease, not a row lock held during the Slack call: a replica that dies holding claims
loses them when ``claimed_until`` passes, and another takes them over."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.adapters.sql.rows import iso, to_notice
from bot.adapters.sql.store import Connection, Member, Store, statement, text
from bot.domain import Notice, NoticeDraft, NoticeKind

_DUE = "sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= :now"


def queue_notice(
    conn: Connection,
    draft: NoticeDraft,
    now: datetime,
    *,
    request_id: int | None = None,
    plan_id: int | None = None,
) -> None:
    """Queue a notice about a request or a plan: once per (request, key) or (plan, key)."""
    conn.execute(
        text(
            "INSERT INTO notices (request_id, plan_id, kind, key, channel, text, button, attempts, "
            "next_attempt_at, created_at) VALUES (:request_id, :plan_id, :kind, :key, :channel, :text, "
            ":button, 0, :now, :now) ON CONFLICT DO NOTHING"
        ),
        {
            "request_id": request_id,
            "plan_id": plan_id,
            "kind": draft.kind.value,
            "key": draft.key,
            "channel": draft.channel,
            "text": draft.text,
            "button": draft.button or None,
            "now": iso(now),
        },
    )


class SqlNotices(Member):
    """The repository's ``notices`` member, the outbox (usecases/stores.py NoticeStore)."""

    def queue(self, request_id: int, draft: NoticeDraft, now: datetime) -> None:
        """Queue a notice that goes with no state change (a reminder, a stall warning); once per key."""
        with self._store.write() as conn:
            queue_notice(conn, draft, now, request_id=request_id)

    def queue_for_plan(self, plan_id: int, drafts: Sequence[NoticeDraft], now: datetime) -> None:
        with self._store.write() as conn:
            for draft in drafts:
                queue_notice(conn, draft, now, plan_id=plan_id)

    def due(self, now: datetime, limit: int) -> list[Notice]:
        """What is due, claimed or not (a look, for tests and tools; delivery claims)."""
        rows = self._store.rows(
            f"SELECT * FROM notices WHERE {_DUE} ORDER BY next_attempt_at, id LIMIT :n",
            {"now": iso(now), "n": limit},
        )
        return [to_notice(row) for row in rows]

    def claim(self, now: datetime, limit: int, claimer: str, until: datetime) -> list[Notice]:
        """Claim up to ``limit`` due notices for ``claimer`` until ``until``: those nobody holds, whose
        claim lapsed, or that ``claimer`` already holds. Each is claimed by one replica at a time."""
        lock = " FOR UPDATE SKIP LOCKED" if self._store.postgres else ""
        free = "(claimed_until IS NULL OR claimed_until < :now OR claimed_by = :me)"
        pick = text(
            f"SELECT id FROM notices WHERE {_DUE} AND {free} ORDER BY next_attempt_at, id LIMIT :n{lock}"
        )
        claim = "UPDATE notices SET claimed_by = :me, claimed_until = :until WHERE id IN :ids RETURNING *"
        with self._store.write() as conn:
            picked = list(conn.execute(pick, {"now": iso(now), "me": claimer, "n": limit}).scalars())
            if not picked:
                return []
            params = {"me": claimer, "until": iso(until), "ids": picked}
            rows = conn.execute(statement(claim, params), params).mappings().all()
        return sorted((to_notice(dict(row)) for row in rows), key=lambda n: picked.index(n.id))

    def renew_claim(self, notice_id: int, claimer: str, until: datetime) -> bool:
        """Extend ``claimer``'s claim on a notice until ``until`` just before it is sent; False when the
        claim is no longer ``claimer``'s (its lease lapsed and another replica took it over) or the
        notice was settled meanwhile: then it must not be sent."""
        with self._store.write() as conn:
            renewed = conn.execute(
                text(
                    "UPDATE notices SET claimed_until = :until WHERE id = :id AND claimed_by = :me "
                    "AND sent_at IS NULL AND dead_at IS NULL RETURNING id"
                ),
                {"until": iso(until), "id": notice_id, "me": claimer},
            ).first()
        return renewed is not None

    def pending_count(self) -> int:
        rows = self._store.rows("SELECT count(*) AS n FROM notices WHERE sent_at IS NULL AND dead_at IS NULL")
        return int(rows[0]["n"])

    def dead_count(self) -> int:
        return int(self._store.rows("SELECT count(*) AS n FROM notices WHERE dead_at IS NOT NULL")[0]["n"])

    def card_refused(self, request_id: int) -> bool:
        rows = self._store.rows(
            "SELECT 1 AS refused FROM notices WHERE request_id = :id AND kind = :kind "
            "AND dead_at IS NOT NULL",
            {"id": request_id, "kind": NoticeKind.CARD.value},
        )
        return bool(rows)

    def mark_sent(self, notice_id: int, now: datetime) -> None:
        _settle(self._store, notice_id, "sent_at = :at, last_error = NULL", {"at": iso(now)})

    def mark_failed(self, notice_id: int, error: str, retry_at: datetime) -> None:
        _attempt_failed(self._store, notice_id, error, "next_attempt_at", retry_at)

    def mark_dead(self, notice_id: int, error: str, now: datetime) -> None:
        """Slack refused the notice for good: keep it, with why, and never send it again."""
        _attempt_failed(self._store, notice_id, error, "dead_at", now)


def _attempt_failed(store: Store, notice_id: int, error: str, column: str, at: datetime) -> None:
    """One more failed attempt, with why; ``column`` says when: the next attempt's, or its death."""
    assignments = f"attempts = attempts + 1, last_error = :error, {column} = :at"
    _settle(store, notice_id, assignments, {"error": error, "at": iso(at)})


def _settle(store: Store, notice_id: int, assignments: str, params: dict[str, Any]) -> None:
    """Record what became of a notice; its claim ends with it."""
    with store.write() as conn:
        conn.execute(
            text(f"UPDATE notices SET {assignments}, claimed_by = NULL, claimed_until = NULL WHERE id = :id"),
            {**params, "id": notice_id},
        )
