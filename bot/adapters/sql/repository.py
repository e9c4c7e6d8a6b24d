"""The Repository port on SQL, either engine: requests, their audit trail and the incident board.

Every unit of work is one transaction (store.py); state changes only by compare-and-set in SQL, so a
decision is made once across threads and replicas alike. Schema changes only through the migration
history (schema.py); the mapping between rows and dataclasses in rows.py; the outbox in outbox.py,
plans in plans.py, what replicas share (replays, the OVHcloud budget) in shared.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.adapters.sql.approvals import ApprovalTables
from bot.adapters.sql.figures import Figures
from bot.adapters.sql.outbox import Outbox, queue_notice
from bot.adapters.sql.pause import PauseTable
from bot.adapters.sql.plans import PlanTables
from bot.adapters.sql.rows import column, entry_row, iso, request_row, to_entries, to_plan, to_request
from bot.adapters.sql.schema import migrate
from bot.adapters.sql.shared import Shared
from bot.adapters.sql.store import IntegrityError, Store, insert, text
from bot.domain import (
    ACTIVE_STATES,
    AuditEntry,
    Conflict,
    MigrationRequest,
    NoticeDraft,
    NoticeKind,
    Plan,
    RequestDraft,
    RequestFields,
    State,
    StorageError,
    check_transition,
)
from bot.domain.restore import RESTORE_ROUTE
from bot.support.locations import redact
from bot.usecases.ports import Change

__all__ = ["SqlRepository"]

_ACTIVE = [state.value for state in sorted(ACTIVE_STATES)]


class SqlRepository(PlanTables, Outbox, Shared, Figures, ApprovalTables, PauseTable):
    """The Repository port on SQLite (a file path, or ``:memory:``) or PostgreSQL (a URL)."""

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

    @property
    def engine_name(self) -> str:
        return self._store.dialect

    def close(self) -> None:
        self._store.close()

    def server_version(self) -> str:
        """The database server, as ``doctor`` reports it (it also proves a write works)."""
        if self._store.postgres:
            found = self._rows("SELECT current_setting('server_version') AS v")[0]["v"]
            name = "PostgreSQL"
        else:
            found, name = self._rows("SELECT sqlite_version() AS v")[0]["v"], "SQLite"
        with self._store.write() as conn:
            conn.execute(text("DELETE FROM replays WHERE key = ''"))  # a write, touching nothing
        return f"{name} {found}"

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._store.rows(sql, params)

    # ------------------------------------------------------------ requests

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
        rows = self._rows("SELECT * FROM requests WHERE id = :id", {"id": request_id})
        return to_request(rows[0]) if rows else None

    def active_for_filer(
        self, source_service: str, filer_id: int, *, restore: bool = False
    ) -> MigrationRequest | None:
        """The live request on this datastore (a copy), or on this backup repository (``restore``)."""
        rows = self._rows(
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
        rows = self._rows(
            "SELECT task_id, removal_task_id FROM requests WHERE dest_service = :service AND id != :id "
            "AND (task_id IN :tasks OR removal_task_id IN :tasks)",
            {"service": dest_service, "id": besides, "tasks": list(task_ids)},
        )
        wanted = set(task_ids)
        return frozenset(v for row in rows for v in row.values() if v in wanted)

    def recent(self, limit: int) -> list[MigrationRequest]:
        rows = self._rows("SELECT * FROM requests ORDER BY id DESC LIMIT :n", {"n": limit})
        return [to_request(row) for row in rows]

    def in_states(self, states: Sequence[State]) -> list[MigrationRequest]:
        rows = self._rows(
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

    def queue_notice(self, request_id: int, draft: NoticeDraft, now: datetime) -> None:
        """Queue a notice that goes with no state change (a reminder, a stall warning); once per key."""
        with self._store.write() as conn:
            queue_notice(conn, draft, now, request_id=request_id)

    def board(self, channel: str) -> tuple[str, str] | None:
        """The board message in ``channel``: (ts, digest of what it shows)."""
        rows = self._rows("SELECT ts, digest FROM board WHERE channel = :channel", {"channel": channel})
        return (rows[0]["ts"], rows[0]["digest"]) if rows else None

    def save_board(self, channel: str, ts: str, digest: str, now: datetime) -> None:
        with self._store.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO board (channel, ts, digest, updated_at) "
                    "VALUES (:channel, :ts, :digest, :at) "
                    "ON CONFLICT (channel) DO UPDATE SET ts = excluded.ts, digest = excluded.digest, "
                    "updated_at = excluded.updated_at"
                ),
                {"channel": channel, "ts": ts, "digest": digest, "at": iso(now)},
            )

    def set_card(self, request_id: int, channel: str, ts: str) -> None:
        with self._store.write() as conn:
            conn.execute(
                text("UPDATE requests SET card_channel = :channel, card_ts = :ts WHERE id = :id"),
                {"channel": channel, "ts": ts, "id": request_id},
            )

    # ------------------------------------------------------------ audit and counts

    def history(self, request_id: int) -> list[AuditEntry]:
        rows = self._rows("SELECT * FROM audit WHERE request_id = :id ORDER BY id", {"id": request_id})
        return to_entries(rows)

    def audit_since(self, since: datetime) -> list[tuple[AuditEntry, MigrationRequest | Plan | None]]:
        """Every audit line since ``since`` with its request (or, a plan's own line, its plan; None: a
        line about pcc-bot itself, a pause or a resume), oldest first."""
        rows = self._rows("SELECT * FROM audit WHERE at >= :since ORDER BY id", {"since": iso(since)})
        ids = sorted({row["request_id"] for row in rows if row["request_id"] is not None})
        plan_ids = sorted({row["plan_id"] for row in rows if row["plan_id"] is not None})
        found = self._rows("SELECT * FROM requests WHERE id IN :ids", {"ids": ids}) if ids else []
        plans = self._rows("SELECT * FROM plans WHERE id IN :ids", {"ids": plan_ids}) if plan_ids else []
        requests = {r.id: r for r in map(to_request, found)}
        by_plan = {p.id: p for p in map(to_plan, plans)}

        def about(entry: AuditEntry) -> MigrationRequest | Plan | None:
            if entry.request_id is not None:
                return requests.get(entry.request_id)
            return by_plan.get(entry.plan_id) if entry.plan_id is not None else None

        return [(entry, about(entry)) for entry in to_entries(rows)]

    def count_by_state(self) -> dict[str, int]:
        """Requests by state, from the counts the database's triggers keep: one small read."""
        rows = self._rows("SELECT state, n FROM state_counts WHERE n > 0")
        return {row["state"]: int(row["n"]) for row in rows}

    def count_actions(self, action: str) -> int:
        rows = self._rows("SELECT n FROM action_counts WHERE action = :action", {"action": action})
        return int(rows[0]["n"]) if rows else 0
