"""The requests' member of the repository: a request filed with its audit line and its card's notice,
read, and changed only by compare-and-set in SQL (so a decision is made once across threads and
replicas alike), its audit line and its notices written in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.adapters.sql.outbox import queue_notice
from bot.adapters.sql.rows import column, entry_row, iso, request_row, to_request
from bot.adapters.sql.store import IntegrityError, Member, insert, text
from bot.domain import (
    ACTIVE_STATES,
    COPIED_STATES,
    AuditEntry,
    Conflict,
    MigrationRequest,
    NoticeDraft,
    NoticeKind,
    RequestDraft,
    RequestFields,
    State,
    check_transition,
)
from bot.domain.restore import RESTORE_ROUTE
from bot.usecases.ports import Change

_ACTIVE = [state.value for state in sorted(ACTIVE_STATES)]


class SqlRequests(Member):
    """The repository's ``requests`` member (usecases/stores.py RequestStore)."""

    def add(self, draft: RequestDraft, card_channel: str) -> MigrationRequest:
        spec = draft.spec
        try:
            with self._store.write() as conn:
                request_id = insert(conn, "requests", request_row(draft))
                entry = AuditEntry(
                    request_id, draft.created_at, draft.requester, "requested", None, State.PENDING
                )
                insert(conn, "audit", entry_row(entry))
                card = NoticeDraft(NoticeKind.CARD, "card", card_channel, "")
                queue_notice(conn, card, draft.created_at, request_id=request_id)
        except IntegrityError as error:
            active = self.active_for_filer(
                spec.source_service, spec.filer_id, restore=draft.route == RESTORE_ROUTE
            )
            where = f" (request #{active.id}, {active.state})" if active else ""
            raise Conflict(
                f"filer {spec.filer_id} of {spec.source_service} already has an active request{where}"
            ) from error
        created = self.get(request_id)
        assert created is not None
        return created

    def get(self, request_id: int) -> MigrationRequest | None:
        rows = self._store.rows("SELECT * FROM requests WHERE id = :id", {"id": request_id})
        return to_request(rows[0]) if rows else None

    def active_for_filer(
        self, source_service: str, filer_id: int, *, restore: bool = False
    ) -> MigrationRequest | None:
        """The live request on this datastore (a copy), or on this backup repository (``restore``)."""
        rows = self._store.rows(
            "SELECT * FROM requests WHERE source_service = :service AND filer_id = :filer "
            "AND state IN :states AND (COALESCE(route, '') = :restore_route) = :restore",
            {
                "service": source_service,
                "filer": filer_id,
                "states": _ACTIVE,
                "restore_route": RESTORE_ROUTE,
                "restore": restore,
            },
        )
        return to_request(rows[0]) if rows else None

    def held_tasks(self, dest_service: str, task_ids: Sequence[int], besides: int) -> frozenset[int]:
        """Which of ``task_ids`` on ``dest_service`` another request (not ``besides``) already holds."""
        if not task_ids:
            return frozenset()
        rows = self._store.rows(
            "SELECT task_id, removal_task_id FROM requests WHERE dest_service = :service AND id != :id "
            "AND (task_id IN :tasks OR removal_task_id IN :tasks)",
            {"service": dest_service, "id": besides, "tasks": list(task_ids)},
        )
        wanted = set(task_ids)
        return frozenset(v for row in rows for v in row.values() if v in wanted)

    def recent(self, limit: int) -> list[MigrationRequest]:
        rows = self._store.rows("SELECT * FROM requests ORDER BY id DESC LIMIT :n", {"n": limit})
        return [to_request(row) for row in rows]

    def in_states(self, states: Sequence[State]) -> list[MigrationRequest]:
        rows = self._store.rows(
            "SELECT * FROM requests WHERE state IN :states ORDER BY id", {"states": [s.value for s in states]}
        )
        return [to_request(row) for row in rows]

    def transition(
        self, request_id: int, expected: State, target: State, change: Change, now: datetime
    ) -> bool:
        """Compare-and-set: move the request only if it is still in ``expected``.

        Returns True for the one caller that changed the row; the audit line and the notices are
        written in the same transaction. A move the state machine forbids raises Conflict, and so does
        a change the database's uniqueness rules refuse (a task another request holds, a filer with
        another active request).
        """
        check_transition(expected, target)
        return self._compare_and_set(request_id, expected, target, change, now)

    def amend(self, request_id: int, expected: State, change: Change, now: datetime) -> bool:
        """Record a change that keeps the state (a removal task found), only if the request is still in
        ``expected``; audited and with its notices, like a transition."""
        return self._compare_and_set(request_id, expected, expected, change, now)

    def _compare_and_set(
        self, request_id: int, expected: State, target: State, change: Change, now: datetime
    ) -> bool:
        fields: dict[str, object] = {"state": target.value, "updated_at": iso(now)}
        fields.update({name: column(value) for name, value in (change.fields or {}).items()})
        assignments = ", ".join(f"{name} = :{name}" for name in fields)
        try:
            with self._store.write() as conn:
                moved = conn.execute(
                    text(f"UPDATE requests SET {assignments} WHERE id = :_id AND state = :_expected"),
                    {**fields, "_id": request_id, "_expected": expected.value},
                )
                if moved.rowcount != 1:
                    return False
                to_state = target if target != expected else None
                entry = AuditEntry(
                    request_id,
                    now,
                    change.actor,
                    change.action,
                    expected,
                    to_state,
                    change.detail,
                    change.query_id,
                )
                insert(conn, "audit", entry_row(entry))
                for draft in change.notices:
                    queue_notice(conn, draft, now, request_id=request_id)
        except IntegrityError as error:
            raise Conflict(
                f"request #{request_id}: the database refused {change.action}: {error.orig}"
            ) from error
        return True

    def update_fields(self, request_id: int, fields: RequestFields, now: datetime) -> None:
        values = {name: column(value) for name, value in fields.items()}
        values["updated_at"] = iso(now)
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        with self._store.write() as conn:
            conn.execute(
                text(f"UPDATE requests SET {assignments} WHERE id = :_id"), {**values, "_id": request_id}
            )

    def set_card(self, request_id: int, channel: str, ts: str) -> None:
        with self._store.write() as conn:
            conn.execute(
                text("UPDATE requests SET card_channel = :channel, card_ts = :ts WHERE id = :id"),
                {"channel": channel, "ts": ts, "id": request_id},
            )

    def count_by_state(self) -> dict[str, int]:
        """Requests by state, from the counts the database's triggers keep: one small read."""
        rows = self._store.rows("SELECT state, n FROM state_counts WHERE n > 0")
        return {row["state"]: int(row["n"]) for row in rows}

    def copied_filers(
        self, source_service: str, dest_service: str, dest_datacenter_id: int
    ) -> frozenset[int]:
        """The source's datastores already copied to that destination datacenter."""
        rows = self._store.rows(
            "SELECT DISTINCT filer_id FROM requests WHERE source_service = :source AND dest_service = :dest "
            "AND dest_datacenter_id = :dc AND state IN :states",
            {
                "source": source_service,
                "dest": dest_service,
                "dc": dest_datacenter_id,
                "states": sorted(s.value for s in COPIED_STATES),
            },
        )
        return frozenset(int(row["filer_id"]) for row in rows)
