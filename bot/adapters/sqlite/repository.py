"""SQLite storage of requests, their audit trail and the outbox of chat notices.

One connection guarded by a lock (listeners and the scheduler run on different threads); every unit
of work is one transaction. Schema changes only through the migrations below.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlite_utils import Database, Migrations

from bot.domain import (
    ACTIVE_STATES,
    AuditEntry,
    Conflict,
    MigrationRequest,
    MigrationSpec,
    Notice,
    NoticeButton,
    NoticeDraft,
    NoticeKind,
    RequestDraft,
    State,
    StorageError,
    Task,
    check_transition,
)
from bot.usecases.ports import Change

migrations = Migrations("pcc-bot")

_ACTIVE_SQL = ", ".join(f"'{state.value}'" for state in sorted(ACTIVE_STATES))


@migrations()
def m001_requests_audit_notices(db: Database) -> None:
    db.table("requests").create(
        {
            "id": int,
            "source_service": str,
            "source_datacenter_id": int,
            "filer_id": int,
            "dest_service": str,
            "dest_datacenter_id": int,
            "requester": str,
            "channel": str,
            "state": str,
            "created_at": str,
            "expires_at": str,
            "updated_at": str,
            "filer_name": str,
            "filer_size": str,
            "vm_total": int,
            "source_zone": str,
            "dest_zone": str,
            "api_call": str,
            "approver": str,
            "decided_by": str,
            "decided_at": str,
            "task_id": int,
            "task_state": str,
            "progress": int,
            "last_error": str,
            "query_id": str,
            "card_channel": str,
            "card_ts": str,
        },
        pk="id",
        not_null={"source_service", "filer_id", "dest_service", "requester", "state", "created_at"},
    )
    db.table("requests").create_index(["state"])
    # One active request per filer, guaranteed by the database even under concurrent requests.
    db.execute(
        "CREATE UNIQUE INDEX one_active_request_per_filer ON requests(source_service, filer_id) "
        f"WHERE state IN ({_ACTIVE_SQL})"
    )
    db.table("audit").create(
        {
            "id": int,
            "request_id": int,
            "at": str,
            "actor": str,
            "action": str,
            "from_state": str,
            "to_state": str,
            "detail": str,
            "query_id": str,
        },
        pk="id",
        foreign_keys=[("request_id", "requests", "id")],
    )
    db.table("audit").create_index(["request_id"])
    db.table("notices").create(
        {
            "id": int,
            "request_id": int,
            "kind": str,
            "key": str,
            "channel": str,
            "text": str,
            "sent_at": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("request_id", "requests", "id")],
        defaults={"attempts": 0},
    )
    # A notice is identified by (request, key): queuing it twice is a no-op, so it is sent once.
    db.table("notices").create_index(["request_id", "key"], unique=True)
    db.table("notices").create_index(["sent_at", "next_attempt_at"])


@migrations()
def m002_tracking_columns(db: Database) -> None:
    requests = db.table("requests")
    requests.add_column("last_check_at", str)  # last time the task was read
    requests.add_column("progress_changed_at", str)  # last time its progress moved (stall detection)
    requests.add_column("card_updated_at", str)  # last chat.update of the card
    requests.add_column("transferred", str)  # bytes copied so far (copyFilerStatus)


@migrations()
def m003_board(db: Database) -> None:
    # The incident-room board: one message per channel, posted once and then edited in place.
    db.table("board").create({"channel": str, "ts": str, "digest": str, "updated_at": str}, pk="channel")


@migrations()
def m004_retries(db: Database) -> None:
    db.table("requests").add_column("retries", int, not_null_default=0)  # resetTaskState relaunches


@migrations()
def m005_copy_removal(db: Database) -> None:
    db.table("requests").add_column("removal_task_id", int)  # the removeFiler task of the copy


@migrations()
def m006_notice_buttons(db: Database) -> None:
    db.table("notices").add_column("button", str)  # an action offered with the notice (retry)


@migrations()
def m007_exactly_once(db: Database) -> None:
    requests = db.table("requests")
    requests.add_column("route", str)  # the migration route chosen at filing
    requests.add_column("called_at", str)  # when the winner of the compare-and-set made its call
    requests.add_column("in_doubt_since", str)  # since when a call's outcome is unknown
    requests.add_column("candidates", str)  # JSON: tasks a person may adopt for a call in doubt
    requests.add_column("copy_filer_id", int)  # the restore datastore being removed
    db.execute(
        "UPDATE requests SET route = CASE WHEN api_call LIKE '%/copyFiler %' THEN 'copyFiler' "
        "ELSE 'linkFilerFromSbg' END"
    )
    # A task belongs to one request at most: the database refuses a second adoption.
    db.execute(
        "CREATE UNIQUE INDEX one_request_per_task ON requests(dest_service, task_id) "
        "WHERE task_id IS NOT NULL"
    )
    db.execute(
        "CREATE UNIQUE INDEX one_request_per_removal_task ON requests(dest_service, removal_task_id) "
        "WHERE removal_task_id IS NOT NULL"
    )
    # The active states grew (relaunching, relaunch_in_doubt): the filer's index follows them.
    db.execute("DROP INDEX IF EXISTS one_active_request_per_filer")
    db.execute(
        "CREATE UNIQUE INDEX one_active_request_per_filer ON requests(source_service, filer_id) "
        f"WHERE state IN ({_ACTIVE_SQL})"
    )
    notices = db.table("notices")
    notices.add_column("dead_at", str)  # Slack refused it for good: never retried
    db.execute("DROP INDEX IF EXISTS idx_notices_sent_at_next_attempt_at")
    db.execute(
        "CREATE INDEX notices_due ON notices(next_attempt_at, id) WHERE sent_at IS NULL AND dead_at IS NULL"
    )


@migrations()
def m008_counts(db: Database) -> None:
    """Counts kept by the database itself, so that a /metrics scrape costs the same at 10 rows or 10
    million: requests by state and audit lines by action, maintained by triggers."""
    db.execute("CREATE TABLE state_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    db.execute("INSERT INTO state_counts SELECT state, count(*) FROM requests GROUP BY state")
    bump = (
        "INSERT INTO state_counts (state, n) VALUES (NEW.state, 1) ON CONFLICT(state) DO UPDATE SET n = n + 1"
    )
    db.execute(f"CREATE TRIGGER requests_counted_on_insert AFTER INSERT ON requests BEGIN {bump}; END")
    db.execute(
        "CREATE TRIGGER requests_counted_on_move AFTER UPDATE OF state ON requests "
        "WHEN OLD.state != NEW.state BEGIN "
        f"UPDATE state_counts SET n = n - 1 WHERE state = OLD.state; {bump}; END"
    )
    db.execute("CREATE TABLE action_counts (action TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    db.execute("INSERT INTO action_counts SELECT action, count(*) FROM audit GROUP BY action")
    db.execute(
        "CREATE TRIGGER audit_counted AFTER INSERT ON audit BEGIN "
        "INSERT INTO action_counts (action, n) VALUES (NEW.action, 1) "
        "ON CONFLICT(action) DO UPDATE SET n = n + 1; END"
    )
    db.execute("CREATE INDEX notices_dead ON notices(dead_at) WHERE dead_at IS NOT NULL")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _to_request(row: dict[str, Any]) -> MigrationRequest:
    created_at = _parse(row["created_at"])
    expires_at = _parse(row["expires_at"])
    assert created_at is not None and expires_at is not None
    return MigrationRequest(
        id=row["id"],
        spec=MigrationSpec(
            source_service=row["source_service"],
            source_datacenter_id=row["source_datacenter_id"],
            filer_id=row["filer_id"],
            dest_service=row["dest_service"],
            dest_datacenter_id=row["dest_datacenter_id"],
        ),
        requester=row["requester"],
        channel=row["channel"],
        state=State(row["state"]),
        created_at=created_at,
        expires_at=expires_at,
        filer_name=row["filer_name"],
        filer_size=row["filer_size"],
        vm_total=row["vm_total"],
        source_zone=row["source_zone"],
        dest_zone=row["dest_zone"],
        api_call=row["api_call"],
        approver=row["approver"],
        decided_by=row["decided_by"],
        decided_at=_parse(row["decided_at"]),
        task_id=row["task_id"],
        task_state=row["task_state"],
        progress=row["progress"],
        last_error=row["last_error"],
        query_id=row["query_id"],
        card_channel=row["card_channel"],
        card_ts=row["card_ts"],
        updated_at=_parse(row["updated_at"]),
        last_check_at=_parse(row["last_check_at"]),
        progress_changed_at=_parse(row["progress_changed_at"]),
        card_updated_at=_parse(row["card_updated_at"]),
        transferred=row["transferred"],
        retries=row["retries"] or 0,
        removal_task_id=row["removal_task_id"],
        route=row["route"] or "linkFilerFromSbg",
        called_at=_parse(row["called_at"]),
        in_doubt_since=_parse(row["in_doubt_since"]),
        candidates=_tasks_from_json(row["candidates"]),
        copy_filer_id=row["copy_filer_id"],
    )


def _tasks_to_json(tasks: Sequence[Task]) -> str:
    return json.dumps(
        [
            {
                "taskId": t.task_id,
                "name": t.name,
                "state": t.state,
                "progress": t.progress,
                "filerId": t.filer_id,
                "datacenterId": t.datacenter_id,
                "executedAt": _iso(t.executed_at) if t.executed_at else None,
            }
            for t in tasks
        ]
    )


def _tasks_from_json(text: str | None) -> tuple[Task, ...]:
    if not text:
        return ()
    return tuple(
        Task(
            task_id=item["taskId"],
            name=item["name"],
            state=item["state"],
            progress=item["progress"],
            filer_id=item["filerId"],
            datacenter_id=item["datacenterId"],
            executed_at=_parse(item["executedAt"]),
        )
        for item in json.loads(text)
    )


def _column(value: object) -> object:
    """A field value as stored: datetimes as UTC ISO-8601 text, task lists as JSON, states by value."""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, tuple) and all(isinstance(t, Task) for t in value):
        return _tasks_to_json(value) if value else None
    if isinstance(value, State):
        return value.value
    return value


class SqliteRepository:
    """The Repository port on SQLite (a file path, or ``:memory:`` for tests)."""

    def __init__(self, path: str, busy_timeout: float = 5.0) -> None:
        self._lock = threading.RLock()
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False)
            self._db = Database(conn)
            if path != ":memory:":
                self._db.enable_wal()
            self._db.execute("PRAGMA foreign_keys = ON")
            migrations.apply(self._db)
        except sqlite3.Error as error:
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
        spec = draft.spec
        row = {
            "source_service": spec.source_service,
            "source_datacenter_id": spec.source_datacenter_id,
            "filer_id": spec.filer_id,
            "dest_service": spec.dest_service,
            "dest_datacenter_id": spec.dest_datacenter_id,
            "requester": draft.requester,
            "channel": draft.channel,
            "state": State.PENDING.value,
            "created_at": _iso(draft.created_at),
            "expires_at": _iso(draft.expires_at),
            "updated_at": _iso(draft.created_at),
            "filer_name": draft.filer_name,
            "filer_size": draft.filer_size,
            "vm_total": draft.vm_total,
            "source_zone": draft.source_zone,
            "dest_zone": draft.dest_zone,
            "api_call": draft.api_call,
            "route": draft.route,
        }
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
        return _to_request(rows[0]) if rows else None

    def active_for_filer(self, source_service: str, filer_id: int) -> MigrationRequest | None:
        rows = self._rows(
            f"SELECT * FROM requests WHERE source_service = ? AND filer_id = ? AND state IN ({_ACTIVE_SQL})",
            [source_service, filer_id],
        )
        return _to_request(rows[0]) if rows else None

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
        return [_to_request(row) for row in rows]

    def in_states(self, states: Sequence[State]) -> list[MigrationRequest]:
        marks = ", ".join("?" for _ in states)
        rows = self._rows(
            f"SELECT * FROM requests WHERE state IN ({marks}) ORDER BY id", [s.value for s in states]
        )
        return [_to_request(row) for row in rows]

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
        fields: dict[str, object] = {"state": target.value, "updated_at": _iso(now)}
        fields.update({name: _column(value) for name, value in (change.fields or {}).items()})
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

    def update_fields(self, request_id: int, fields: dict[str, object], now: datetime) -> None:
        values = {name: _column(value) for name, value in fields.items()}
        values["updated_at"] = _iso(now)
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
                {"channel": channel, "ts": ts, "digest": digest, "updated_at": _iso(now)}, pk="channel"
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
                "at": _iso(now),
                "actor": actor,
                "action": action,
                "from_state": from_state.value if from_state else None,
                "to_state": to_state.value if to_state else None,
                "detail": detail,
                "query_id": query_id,
            }
        )

    def history(self, request_id: int) -> list[AuditEntry]:
        return self._entries(self._rows("SELECT * FROM audit WHERE request_id = ? ORDER BY id", [request_id]))

    def audit_since(self, since: datetime) -> list[tuple[AuditEntry, MigrationRequest]]:
        """Every audit line since ``since`` with its request, oldest first."""
        rows = self._rows("SELECT * FROM audit WHERE at >= ? ORDER BY id", [_iso(since)])
        ids = sorted({row["request_id"] for row in rows})
        marks = ", ".join("?" for _ in ids)
        requests = {
            r.id: r
            for r in map(_to_request, self._rows(f"SELECT * FROM requests WHERE id IN ({marks})", ids))
        }
        return [(entry, requests[entry.request_id]) for entry in self._entries(rows)]

    @staticmethod
    def _entries(rows: list[dict[str, Any]]) -> list[AuditEntry]:
        return [
            AuditEntry(
                request_id=row["request_id"],
                at=datetime.fromisoformat(row["at"]),
                actor=row["actor"],
                action=row["action"],
                from_state=row["from_state"],
                to_state=row["to_state"],
                detail=row["detail"] or "",
                query_id=row["query_id"],
            )
            for row in rows
        ]

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
                _iso(now),
                _iso(now),
            ],
        )

    def due_notices(self, now: datetime, limit: int) -> list[Notice]:
        rows = self._rows(
            "SELECT * FROM notices WHERE sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?",
            [_iso(now), limit],
        )
        return [
            Notice(
                id=row["id"],
                request_id=row["request_id"],
                kind=NoticeKind(row["kind"]),
                key=row["key"],
                channel=row["channel"],
                text=row["text"],
                attempts=row["attempts"],
                button=NoticeButton(row["button"]) if row["button"] else None,
            )
            for row in rows
        ]

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
                [error, _iso(now), notice_id],
            )

    def count_by_state(self) -> dict[str, int]:
        """Requests by state, from the counts the triggers keep (m008): one small read."""
        rows = self._rows("SELECT state, n FROM state_counts WHERE n > 0")
        return {row["state"]: int(row["n"]) for row in rows}

    def count_actions(self, action: str) -> int:
        rows = self._rows("SELECT n FROM action_counts WHERE action = ?", [action])
        return int(rows[0]["n"]) if rows else 0

    def notice_sent(self, notice_id: int, now: datetime) -> None:
        with self._unit_of_work() as db:
            db.table("notices").update(notice_id, {"sent_at": _iso(now), "last_error": None})

    def notice_failed(self, notice_id: int, error: str, retry_at: datetime) -> None:
        with self._unit_of_work() as db:
            db.execute(
                "UPDATE notices SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE id = ?",
                [error, _iso(retry_at), notice_id],
            )
