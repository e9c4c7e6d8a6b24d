"""The plans' side of the SQLite repository: a plan, its decision (which creates its datastores'
requests in the same transaction), its notices, and what a new plan must leave out."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from sqlite_utils import Database

from bot.adapters.sqlite.rows import iso, left_out_json, plan_row, request_row, to_plan, to_request
from bot.domain import (
    COPIED_STATES,
    LeftOut,
    MigrationRequest,
    NoticeDraft,
    NoticeKind,
    Plan,
    PlanDraft,
    PlanState,
    RequestDraft,
    State,
    check_plan_transition,
)


class _Store(Protocol):
    def _unit_of_work(self) -> AbstractContextManager[Database]: ...

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...


def queue_plan_notice(db: Database, plan_id: int, draft: NoticeDraft, now: datetime) -> None:
    """Queue a notice about the plan as a whole: once per (plan, key)."""
    db.execute(
        "INSERT OR IGNORE INTO notices (plan_id, kind, key, channel, text, button, attempts, "
        "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, NULL, 0, ?, ?)",
        [plan_id, draft.kind.value, draft.key, draft.channel, draft.text, iso(now), iso(now)],
    )


class PlanTables:
    """Mixed into SqliteRepository: the same connection, lock and units of work."""

    def add_plan(self: _Store, draft: PlanDraft) -> Plan:
        with self._unit_of_work() as db:
            plan_id = int(db.table("plans").insert(plan_row(draft)).last_pk or 0)
            card = NoticeDraft(NoticeKind.CARD, "card", draft.channel, "")
            queue_plan_notice(db, plan_id, card, draft.created_at)
        rows = self._rows("SELECT * FROM plans WHERE id = ?", [plan_id])
        return to_plan(rows[0])

    def get_plan(self: _Store, plan_id: int) -> Plan | None:
        rows = self._rows("SELECT * FROM plans WHERE id = ?", [plan_id])
        return to_plan(rows[0]) if rows else None

    def plans_in_states(self: _Store, states: Sequence[PlanState]) -> list[Plan]:
        marks = ", ".join("?" for _ in states)
        rows = self._rows(
            f"SELECT * FROM plans WHERE state IN ({marks}) ORDER BY id", [s.value for s in states]
        )
        return [to_plan(row) for row in rows]

    def recent_plans(self: _Store, limit: int) -> list[Plan]:
        return [to_plan(row) for row in self._rows("SELECT * FROM plans ORDER BY id DESC LIMIT ?", [limit])]

    def plan_items(self: _Store, plan_id: int) -> list[MigrationRequest]:
        rows = self._rows("SELECT * FROM requests WHERE plan_id = ? ORDER BY id", [plan_id])
        return [to_request(row) for row in rows]

    def move_plan(
        self: _Store,
        plan_id: int,
        expected: PlanState,
        target: PlanState,
        by: str,
        now: datetime,
        notices: Sequence[NoticeDraft] = (),
    ) -> bool:
        """Compare-and-set on the plan's state, with its notices in the same transaction."""
        check_plan_transition(expected, target)
        decided = target in (PlanState.REJECTED, PlanState.CANCELLED)
        with self._unit_of_work() as db:
            cursor = db.execute(
                "UPDATE plans SET state = ?, updated_at = ?, "
                "decided_by = CASE WHEN ? THEN ? ELSE decided_by END, "
                "decided_at = CASE WHEN ? THEN ? ELSE decided_at END WHERE id = ? AND state = ?",
                [target.value, iso(now), decided, by, decided, iso(now), plan_id, expected.value],
            )
            if cursor.rowcount != 1:
                return False
            for draft in notices:
                queue_plan_notice(db, plan_id, draft, now)
        return True

    def approve_plan(
        self: _Store,
        plan: Plan,
        user: str,
        now: datetime,
        drafts: Sequence[RequestDraft],
        notices: Sequence[NoticeDraft] = (),
    ) -> list[LeftOut] | None:
        """The plan's compare-and-set ``pending -> approved`` and, in the same transaction, one pending
        request per datastore (decided by ``user``), each to be dispatched through the gate. None when
        another click won; else the datastores left out now (another active request has them)."""
        with self._unit_of_work() as db:
            cursor = db.execute(
                "UPDATE plans SET state = ?, decided_by = ?, decided_at = ?, updated_at = ? "
                "WHERE id = ? AND state = ?",
                [PlanState.APPROVED.value, user, iso(now), iso(now), plan.id, PlanState.PENDING.value],
            )
            if cursor.rowcount != 1:
                return None
            late = [left for draft in drafts if (left := _add_item(db, plan, draft, user, now))]
            if late:
                db.table("plans").update(plan.id, {"left_out": left_out_json([*plan.left_out, *late])})
            for notice in notices:
                queue_plan_notice(db, plan.id, notice, now)
        return late

    def set_plan_card(self: _Store, plan_id: int, channel: str, ts: str) -> None:
        """The board's message; the plan's requests reply in its thread."""
        with self._unit_of_work() as db:
            db.table("plans").update(plan_id, {"card_channel": channel, "card_ts": ts})
            db.execute(
                "UPDATE requests SET card_channel = ?, card_ts = ? WHERE plan_id = ?", [channel, ts, plan_id]
            )

    def queue_plan_notices(self: _Store, plan_id: int, drafts: Sequence[NoticeDraft], now: datetime) -> None:
        with self._unit_of_work() as db:
            for draft in drafts:
                queue_plan_notice(db, plan_id, draft, now)

    def copied_filers(
        self: _Store, source_service: str, dest_service: str, dest_datacenter_id: int
    ) -> frozenset[int]:
        """The source's datastores already copied to that destination datacenter."""
        states = sorted(COPIED_STATES)
        marks = ", ".join("?" for _ in states)
        rows = self._rows(
            f"SELECT DISTINCT filer_id FROM requests WHERE source_service = ? AND dest_service = ? "
            f"AND dest_datacenter_id = ? AND state IN ({marks})",
            [source_service, dest_service, dest_datacenter_id, *(s.value for s in states)],
        )
        return frozenset(int(row["filer_id"]) for row in rows)


def _add_item(db: Database, plan: Plan, draft: RequestDraft, user: str, now: datetime) -> LeftOut | None:
    """One datastore's request, in a savepoint: a filer with another active request is left out."""
    row = {
        **request_row(draft),
        "plan_id": plan.id,
        "decided_by": user,
        "decided_at": iso(now),
        "card_channel": plan.card_channel,
        "card_ts": plan.card_ts,
    }
    try:
        with db.atomic():
            request_id = int(db.table("requests").insert(row).last_pk or 0)
            db.table("audit").insert(
                {
                    "request_id": request_id,
                    "at": iso(now),
                    "actor": user,
                    "action": "approved",
                    "from_state": None,
                    "to_state": State.PENDING.value,
                    "detail": f"plan #{plan.id}, filed by {plan.requester}",
                }
            )
    except sqlite3.IntegrityError:
        return LeftOut(draft.spec.filer_id, draft.filer_name, "another request took it before the approval")
    return None
