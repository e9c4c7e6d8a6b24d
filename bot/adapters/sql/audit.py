"""The audit trail's member of the repository: each line is written by the change it records (in that
change's transaction, by the member that makes it); read here, with what each line is about."""

from __future__ import annotations

from datetime import datetime

from bot.adapters.sql.rows import iso, to_entries, to_plan, to_request
from bot.adapters.sql.store import Member
from bot.domain import AuditEntry, MigrationRequest, Plan


class SqlAudit(Member):
    """The repository's ``audit`` member (usecases/stores.py AuditLog)."""

    def history(self, request_id: int) -> list[AuditEntry]:
        rows = self._store.rows("SELECT * FROM audit WHERE request_id = :id ORDER BY id", {"id": request_id})
        return to_entries(rows)

    def since(self, since: datetime) -> list[tuple[AuditEntry, MigrationRequest | Plan | None]]:
        """Every audit line since ``since`` with its request (or, a plan's own line, its plan; None: a
        line about pcc-bot itself, a pause or a resume), oldest first."""
        rows = self._store.rows("SELECT * FROM audit WHERE at >= :since ORDER BY id", {"since": iso(since)})
        ids = sorted({row["request_id"] for row in rows if row["request_id"] is not None})
        plan_ids = sorted({row["plan_id"] for row in rows if row["plan_id"] is not None})
        found = self._store.rows("SELECT * FROM requests WHERE id IN :ids", {"ids": ids}) if ids else []
        plans = (
            self._store.rows("SELECT * FROM plans WHERE id IN :ids", {"ids": plan_ids}) if plan_ids else []
        )
        requests = {r.id: r for r in map(to_request, found)}
        by_plan = {p.id: p for p in map(to_plan, plans)}

        def about(entry: AuditEntry) -> MigrationRequest | Plan | None:
            if entry.request_id is not None:
                return requests.get(entry.request_id)
            return by_plan.get(entry.plan_id) if entry.plan_id is not None else None

        return [(entry, about(entry)) for entry in to_entries(rows)]

    def count_actions(self, action: str) -> int:
        rows = self._store.rows("SELECT n FROM action_counts WHERE action = :action", {"action": action})
        return int(rows[0]["n"]) if rows else 0
