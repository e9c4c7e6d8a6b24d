"""The plans' member of the repository: a plan, its changes (an approval creates its datastores' requests
in the same transaction) with their audit lines, its notices, and what a new plan must leave out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.adapters.sql.outbox import queue_notice
from bot.adapters.sql.rows import entry_row, iso, left_out_json, plan_row, request_row, to_plan, to_request
from bot.adapters.sql.store import Connection, IntegrityError, Member, insert, text
from bot.domain import (
    AuditEntry,
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
from bot.usecases.ports import PlanChange

#: The states a person's (or pcc-bot's) decision puts a plan in: who and when are recorded.
_DECIDED = (PlanState.APPROVED, PlanState.REJECTED, PlanState.CANCELLED)


class SqlPlans(Member):
    """The repository's ``plans`` member (usecases/stores.py PlanStore)."""

    def add(self, draft: PlanDraft) -> Plan:
        with self._store.write() as conn:
            plan_id = insert(conn, "plans", plan_row(draft))
            left = f"; {len(draft.left_out)} left out" if draft.left_out else ""
            detail = f"{len(draft.items)} datastore(s){left}"
            line = AuditEntry(
                None,
                draft.created_at,
                draft.requester,
                "plan filed",
                None,
                PlanState.PENDING,
                detail,
                None,
                plan_id,
            )
            insert(conn, "audit", entry_row(line))
            card = NoticeDraft(NoticeKind.CARD, "card", draft.channel, "")
            queue_notice(conn, card, draft.created_at, plan_id=plan_id)
        return to_plan(self._store.rows("SELECT * FROM plans WHERE id = :id", {"id": plan_id})[0])

    def get(self, plan_id: int) -> Plan | None:
        rows = self._store.rows("SELECT * FROM plans WHERE id = :id", {"id": plan_id})
        return to_plan(rows[0]) if rows else None

    def in_states(self, states: Sequence[PlanState]) -> list[Plan]:
        rows = self._store.rows(
            "SELECT * FROM plans WHERE state IN :states ORDER BY id", {"states": [s.value for s in states]}
        )
        return [to_plan(row) for row in rows]

    def recent(self, limit: int) -> list[Plan]:
        rows = self._store.rows("SELECT * FROM plans ORDER BY id DESC LIMIT :n", {"n": limit})
        return [to_plan(row) for row in rows]

    def items(self, plan_id: int) -> list[MigrationRequest]:
        rows = self._store.rows("SELECT * FROM requests WHERE plan_id = :id ORDER BY id", {"id": plan_id})
        return [to_request(row) for row in rows]

    def move(
        self, plan: Plan, expected: PlanState, target: PlanState, change: PlanChange, now: datetime
    ) -> bool:
        """Compare-and-set on the plan's state (``target`` the same: an amendment that keeps it, such as
        Cancel the rest), with its audit line, its notices and, for an approval, one pending request per
        datastore (decided by the actor) in the same transaction. False when another change came first
        (nothing written). A datastore another request holds by then is left out, said in the line."""
        if target != expected:
            check_plan_transition(expected, target)
        decision = ", decided_by = :by, decided_at = :at" if target in _DECIDED and target != expected else ""
        with self._store.write() as conn:
            moved = conn.execute(
                text(
                    f"UPDATE plans SET state = :target, updated_at = :at{decision} "
                    "WHERE id = :id AND state = :expected"
                ),
                {
                    "target": target.value,
                    "at": iso(now),
                    "by": change.actor,
                    "id": plan.id,
                    "expected": expected.value,
                },
            )
            if moved.rowcount != 1:
                return False
            held = [
                left for draft in change.items if (left := _add_item(conn, plan, draft, change.actor, now))
            ]
            late = [*change.left_out, *held]
            if late:
                conn.execute(
                    text("UPDATE plans SET left_out = :left WHERE id = :id"),
                    {"left": left_out_json([*plan.left_out, *late]), "id": plan.id},
                )
            said = "; ".join(f"{x.name} left out: {x.reason}" for x in late)
            entry = AuditEntry(
                None,
                now,
                change.actor,
                change.action,
                expected,
                target if target != expected else None,
                "; ".join(filter(None, [change.detail, said])),
                plan_id=plan.id,
            )
            insert(conn, "audit", entry_row(entry))
            for draft in change.notices:
                queue_notice(conn, draft, now, plan_id=plan.id)
        return True

    def set_card(self, plan_id: int, channel: str, ts: str) -> None:
        """The board's message; the plan's requests reply in its thread."""
        with self._store.write() as conn:
            params = {"channel": channel, "ts": ts, "id": plan_id}
            conn.execute(
                text("UPDATE plans SET card_channel = :channel, card_ts = :ts WHERE id = :id"), params
            )
            conn.execute(
                text("UPDATE requests SET card_channel = :channel, card_ts = :ts WHERE plan_id = :id"), params
            )


def _add_item(conn: Connection, plan: Plan, draft: RequestDraft, user: str, now: datetime) -> LeftOut | None:
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
        with conn.begin_nested():
            request_id = insert(conn, "requests", row)
            detail = f"plan #{plan.id}, filed by {plan.requester}"
            entry = AuditEntry(request_id, now, user, "approved", None, State.PENDING, detail)
            insert(conn, "audit", entry_row(entry))
    except IntegrityError:
        return LeftOut(draft.spec.filer_id, draft.filer_name, "another request took it before the approval")
    return None
