"""The database schema, changed only through these sqlite-utils migrations (applied in order at start;
an older database is upgraded in place)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("pcc-bot")

# A released migration's SQL never changes: the active states each index was built for, as literals.
# (tests/contract/test_repository.py holds the latest index to bot.domain's ACTIVE_STATES: a new active state
# needs a new migration that rebuilds it.)
M001_ACTIVE = "'approved', 'needs_attention', 'pending', 'replicating'"
M007_ACTIVE = "'approved', 'needs_attention', 'pending', 'relaunch_in_doubt', 'relaunching', 'replicating'"


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
        f"WHERE state IN ({M001_ACTIVE})"
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
        f"WHERE state IN ({M007_ACTIVE})"
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


@migrations()
def m009_plans(db: Database) -> None:
    """Plans: a datacenter under one decision. Their datastores become requests (``plan_id``); their
    own notices (the board, its thread, the summary) are queued with ``plan_id`` and no request."""
    db.table("plans").create(
        {
            "id": int,
            "state": str,
            "source_service": str,
            "source_datacenter_id": int,
            "dest_service": str,
            "dest_datacenter_id": int,
            "requester": str,
            "channel": str,
            "created_at": str,
            "expires_at": str,
            "updated_at": str,
            "source_zone": str,
            "dest_zone": str,
            "route": str,
            "items": str,  # JSON: the datastores included, as read at filing
            "left_out": str,  # JSON: the datastores left out, each with its reason
            "decided_by": str,
            "decided_at": str,
            "card_channel": str,
            "card_ts": str,
        },
        pk="id",
        not_null={"state", "source_service", "dest_service", "requester", "created_at"},
    )
    db.table("plans").create_index(["state"])
    db.table("requests").add_column("plan_id", int)
    db.execute("CREATE INDEX requests_of_plan ON requests(plan_id) WHERE plan_id IS NOT NULL")
    db.table("notices").add_column("plan_id", int)
    # A plan's notice is identified by (plan, key), as a request's is by (request, key).
    db.execute(
        "CREATE UNIQUE INDEX one_plan_notice_per_key ON notices(plan_id, key) WHERE plan_id IS NOT NULL"
    )


@migrations()
def m010_progress_readings(db: Database) -> None:
    # JSON [[moment, progress], …]: the task's recent progress changes, for the expected end.
    db.table("requests").add_column("progress_log", str)
