"""SQLite storage of requests, their audit trail and the outbox of chat notices.

One connection guarded by a lock (listeners and the scheduler run on different threads); every unit
of work is one transaction. Schema changes only through migrations.py beside this file; the mapping
between rows and dataclasses in rows.py.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.adapters.sqlite.migrations import migrations
from bot.adapters.sqlite.plans import PlanTables
from bot.adapters.sqlite.rows import column, iso, request_row, to_entries, to_notice, to_request
from bot.domain import (
    ACTIVE_STATES,
    AuditEntry,
    Conflict,
    MigrationRequest,
    Notice,
    NoticeDraft,
    NoticeKind,
    RequestDraft,
    RequestFields,
    State,
    StorageError,
    check_transition,
)
from bot.usecases.ports import Change

__all__ = ["SqliteRepository", "migrations"]


#: The states a request holds its filer in (queries follow the domain; the index follows migrations).
_ACTIVE = ", ".join(f"'{state.value}'" for state in sorted(ACTIVE_STATES))


class SqliteRepository(PlanTables):
    """The Repository port on SQLite (a file path, or ``:memory:`` for tests)."""

    def __init__(self, path: str, busy_timeout: float = 5.0) -> None:
        self._lock = threading.RLock()
        try:
            if path != ":memory:" and not os.path.exists(path):  # owner only: who decided what
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # SQLite's WAL, SHM follow
            conn = sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False)
            self._db = Database(conn)
            if path != ":memory:":
                self._db.enable_wal()
            self._db.execute("PRAGMA foreign_keys = ON")
            migrations.apply(self._db)
        except (sqlite3.Error, OSError) as error:
            raise StorageError(f"cannot open the database {path}: {error}") from error

    def applied_migrations(self) -> list[str]:
        with self._lock:
            return [m.name for m in migrations.applied(self._db)]

    def close(self) -> None:
        with self._lock:
            self._db.conn.close()

    @contextmanager
    def _unit_of_work(self) -> Iterator[Database]:
        with self._lock:
            try:
                with self._db.atomic():  # commits, or rolls back on any exception
                    yield self._db
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as error:
                raise StorageError(f"the database refused the change: {error}") from error

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            try:
                cursor = self._db.execute(sql, list(params))
            except sqlite3.Error as error:
                raise StorageError(f"the database could not be read: {error}") from error
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    # ------------------------------------------------------------ requests

    def add(self, draft: RequestDraft, card_channel: str) -> MigrationRequest:
        spec, row = draft.spec, request_row(draft)
        try:
            with self._unit_of_work() as db:
                request_id = int(db.table("requests").insert(row).last_pk or 0)
                self._audit(
                    db, request_id, draft.requester, "requested", None, State.PENDING, draft.created_at
                )
                card = NoticeDraft(NoticeKind.CARD, "card", card_channel, "")
                self._queue(db, request_id, card, draft.created_at)
        except sqlite3.IntegrityError as error:
            active = self.active_for_filer(spec.source_service, spec.filer_id)
            where = f" (request #{active.id}, {active.state})" if active else ""
            raise Conflict(
                f"filer {spec.filer_id} of {spec.source_service} already has an active request{where}"
            ) from error
        created = self.get(request_id)
        assert created is not None
        return created

    def get(self, request_id: int) -> MigrationRequest | None:
        rows = self._rows("SELECT * FROM requests WHERE id = ?", [request_id])
        return to_request(rows[0]) if rows else None

    def active_for_filer(self, source_service: str, filer_id: int) -> MigrationRequest | None:
        rows = self._rows(
            f"SELECT * FROM requests WHERE source_service = ? AND filer_id = ? AND state IN ({_ACTIVE})",
            [source_service, filer_id],
        )
        return to_request(rows[0]) if rows else None

    def held_tasks(self, dest_service: str, task_ids: Sequence[int], besides: int) -> frozenset[int]:
        """Which of ``task_ids`` on ``dest_service`` another request (not ``besides``) already holds."""
        if not task_ids:
            return frozenset()
        marks = ", ".join("?" for _ in task_ids)
        rows = self._rows(
            f"SELECT task_id, removal_task_id FROM requests WHERE dest_service = ? AND id != ? AND "
            f"(task_id IN ({marks}) OR removal_task_id IN ({marks}))",
            [dest_service, besides, *task_ids, *task_ids],
        )
        wanted = set(task_ids)
        return frozenset(v for row in rows for v in (row["task_id"], row["removal_task_id"]) if v in wanted)

    def recent(self, limit: int) -> list[MigrationRequest]:
        rows = self._rows("SELECT * FROM requests ORDER BY id DESC LIMIT ?", [limit])
        return [to_request(row) for row in rows]

    def in_states(self, states: Sequence[State]) -> list[MigrationRequest]:
        marks = ", ".join("?" for _ in states)
        rows = self._rows(
            f"SELECT * FROM requests WHERE state IN ({marks}) ORDER BY id", [s.value for s in states]
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
        assignments = ", ".join(f"{name} = ?" for name in fields)
        try:
            with self._unit_of_work() as db:
                cursor = db.execute(
                    f"UPDATE requests SET {assignments} WHERE id = ? AND state = ?",
                    [*fields.values(), request_id, expected.value],
                )
                if cursor.rowcount != 1:
                    return False
                self._audit(
                    db,
                    request_id,
                    change.actor,
                    change.action,
                    expected,
                    target if target != expected else None,
                    now,
                    change.detail,
                    change.query_id,
                )
                for draft in change.notices:
                    self._queue(db, request_id, draft, now)
        except sqlite3.IntegrityError as error:
            raise Conflict(f"request #{request_id}: the database refused {change.action}: {error}") from error
        return True

    def update_fields(self, request_id: int, fields: RequestFields, now: datetime) -> None:
        values = {name: column(value) for name, value in fields.items()}
        values["updated_at"] = iso(now)
        with self._unit_of_work() as db:
            db.table("requests").update(request_id, values)

    def queue_notice(self, request_id: int, draft: NoticeDraft, now: datetime) -> None:
        """Queue a notice that goes with no state change (a reminder, a stall warning); once per key."""
        with self._unit_of_work() as db:
            self._queue(db, request_id, draft, now)

    def board(self, channel: str) -> tuple[str, str] | None:
        """The board message in ``channel``: (ts, digest of what it shows)."""
        rows = self._rows("SELECT ts, digest FROM board WHERE channel = ?", [channel])
        return (rows[0]["ts"], rows[0]["digest"]) if rows else None

    def save_board(self, channel: str, ts: str, digest: str, now: datetime) -> None:
        with self._unit_of_work() as db:
            db.table("board").upsert(
                {"channel": channel, "ts": ts, "digest": digest, "updated_at": iso(now)}, pk="channel"
            )

    def set_card(self, request_id: int, channel: str, ts: str) -> None:
        with self._unit_of_work() as db:
            db.table("requests").update(request_id, {"card_channel": channel, "card_ts": ts})

    # ------------------------------------------------------------ audit

    @staticmethod
    def _audit(
        db: Database,
        request_id: int,
        actor: str,
        action: str,
        from_state: State | None,
        to_state: State | None,
        now: datetime,
        detail: str = "",
        query_id: str | None = None,
    ) -> None:
        db.table("audit").insert(
            {
                "request_id": request_id,
                "at": iso(now),
                "actor": actor,
                "action": action,
                "from_state": from_state.value if from_state else None,
                "to_state": to_state.value if to_state else None,
                "detail": detail,
                "query_id": query_id,
            }
        )

    def history(self, request_id: int) -> list[AuditEntry]:
        return to_entries(self._rows("SELECT * FROM audit WHERE request_id = ? ORDER BY id", [request_id]))

    def audit_since(self, since: datetime) -> list[tuple[AuditEntry, MigrationRequest]]:
        """Every audit line since ``since`` with its request, oldest first."""
        rows = self._rows("SELECT * FROM audit WHERE at >= ? ORDER BY id", [iso(since)])
        ids = sorted({row["request_id"] for row in rows})
        marks = ", ".join("?" for _ in ids)
        requests = {
            r.id: r for r in map(to_request, self._rows(f"SELECT * FROM requests WHERE id IN ({marks})", ids))
        }
        return [(entry, requests[entry.request_id]) for entry in to_entries(rows)]

    # ------------------------------------------------------------ notices (outbox)

    @staticmethod
    def _queue(db: Database, request_id: int, draft: NoticeDraft, now: datetime) -> None:
        button = draft.button.value if draft.button else None
        db.execute(
            "INSERT OR IGNORE INTO notices (request_id, kind, key, channel, text, button, attempts, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [
                request_id,
                draft.kind.value,
                draft.key,
                draft.channel,
                draft.text,
                button,
                iso(now),
                iso(now),
            ],
        )

    def due_notices(self, now: datetime, limit: int) -> list[Notice]:
        rows = self._rows(
            "SELECT * FROM notices WHERE sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?",
            [iso(now), limit],
        )
        return [to_notice(row) for row in rows]

    def pending_notice_count(self) -> int:
        return int(
            self._rows("SELECT count(*) AS n FROM notices WHERE sent_at IS NULL AND dead_at IS NULL")[0]["n"]
        )

    def dead_notice_count(self) -> int:
        return int(self._rows("SELECT count(*) AS n FROM notices WHERE dead_at IS NOT NULL")[0]["n"])

    def notice_dead(self, notice_id: int, error: str, now: datetime) -> None:
        """Slack refused the notice for good: keep it, with why, and never send it again."""
        with self._unit_of_work() as db:
            db.execute(
                "UPDATE notices SET attempts = attempts + 1, last_error = ?, dead_at = ? WHERE id = ?",
                [error, iso(now), notice_id],
            )

    def card_refused(self, request_id: int) -> bool:
        sql = "SELECT 1 FROM notices WHERE request_id = ? AND kind = ? AND dead_at IS NOT NULL LIMIT 1"
        return bool(self._rows(sql, [request_id, NoticeKind.CARD.value]))

    def count_by_state(self) -> dict[str, int]:
        """Requests by state, from the counts the triggers keep (m008): one small read."""
        rows = self._rows("SELECT state, n FROM state_counts WHERE n > 0")
        return {row["state"]: int(row["n"]) for row in rows}

    def count_actions(self, action: str) -> int:
        rows = self._rows("SELECT n FROM action_counts WHERE action = ?", [action])
        return int(rows[0]["n"]) if rows else 0

    def notice_sent(self, notice_id: int, now: datetime) -> None:
        with self._unit_of_work() as db:
            db.table("notices").update(notice_id, {"sent_at": iso(now), "last_error": None})

    def notice_failed(self, notice_id: int, error: str, retry_at: datetime) -> None:
        with self._unit_of_work() as db:
            db.execute(
                "UPDATE notices SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE id = ?",
                [error, iso(retry_at), notice_id],
            )
