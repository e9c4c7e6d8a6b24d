"""Baseline: the schema of the first releases (their sqlite-utils migrations m001..m010), on either
engine. A database those releases built is stamped at this revision, not rebuilt.

Identifiers (index names, column order) are the ones sqlite-utils gave them, so that a database of
the first releases and a new one are the same schema (tests/contract/test_schema.py)."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

#: Whole numbers: 64-bit on PostgreSQL; on SQLite INTEGER is already 64-bit (and a rowid alias as a key).
INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE = "'approved', 'needs_attention', 'pending', 'relaunch_in_doubt', 'relaunching', 'replicating'"


def _text(*names: str) -> list[sa.Column[str]]:
    return [sa.Column(name, sa.Text) for name in names]


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", INT, primary_key=True),
        sa.Column("source_service", sa.Text, nullable=False),
        sa.Column("source_datacenter_id", INT),
        sa.Column("filer_id", INT, nullable=False),
        sa.Column("dest_service", sa.Text, nullable=False),
        sa.Column("dest_datacenter_id", INT),
        sa.Column("requester", sa.Text, nullable=False),
        sa.Column("channel", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        *_text("expires_at", "updated_at", "filer_name", "filer_size"),
        sa.Column("vm_total", INT),
        *_text("source_zone", "dest_zone", "api_call", "approver", "decided_by", "decided_at"),
        sa.Column("task_id", INT),
        sa.Column("task_state", sa.Text),
        sa.Column("progress", INT),
        *_text("last_error", "query_id", "card_channel", "card_ts"),
        *_text("last_check_at", "progress_changed_at", "card_updated_at", "transferred"),  # m002
        sa.Column("retries", INT, nullable=False, server_default="0"),  # m004
        sa.Column("removal_task_id", INT),  # m005
        *_text("route", "called_at", "in_doubt_since", "candidates"),  # m007
        sa.Column("copy_filer_id", INT),
        sa.Column("plan_id", INT),  # m009
        sa.Column("progress_log", sa.Text),  # m010
    )
    op.create_index("idx_requests_state", "requests", ["state"])
    op.execute(
        "CREATE UNIQUE INDEX one_active_request_per_filer ON requests(source_service, filer_id) "
        f"WHERE state IN ({ACTIVE})"
    )
    op.execute(
        "CREATE UNIQUE INDEX one_request_per_task ON requests(dest_service, task_id) "
        "WHERE task_id IS NOT NULL"
    )
    op.execute(
        "CREATE UNIQUE INDEX one_request_per_removal_task ON requests(dest_service, removal_task_id) "
        "WHERE removal_task_id IS NOT NULL"
    )
    op.execute("CREATE INDEX requests_of_plan ON requests(plan_id) WHERE plan_id IS NOT NULL")
    op.create_table(
        "audit",
        sa.Column("id", INT, primary_key=True),
        sa.Column("request_id", INT, sa.ForeignKey("requests.id")),
        *_text("at", "actor", "action", "from_state", "to_state", "detail", "query_id"),
    )
    op.create_index("idx_audit_request_id", "audit", ["request_id"])
    op.create_table(
        "notices",
        sa.Column("id", INT, primary_key=True),
        sa.Column("request_id", INT, sa.ForeignKey("requests.id")),
        *_text("kind", "key", "channel", "text", "sent_at"),
        sa.Column("attempts", INT, server_default="0"),
        *_text("next_attempt_at", "last_error", "created_at", "button", "dead_at"),
        sa.Column("plan_id", INT),
    )
    op.create_index("idx_notices_request_id_key", "notices", ["request_id", "key"], unique=True)
    op.execute(
        "CREATE INDEX notices_due ON notices(next_attempt_at, id) WHERE sent_at IS NULL AND dead_at IS NULL"
    )
    op.execute("CREATE INDEX notices_dead ON notices(dead_at) WHERE dead_at IS NOT NULL")
    op.execute(
        "CREATE UNIQUE INDEX one_plan_notice_per_key ON notices(plan_id, key) WHERE plan_id IS NOT NULL"
    )
    # The incident-room board: one message per channel, posted once and then edited in place.
    op.create_table(
        "board",
        sa.Column("channel", sa.Text, primary_key=True),
        *_text("ts", "digest", "updated_at"),
    )
    _plans()
    _counts()


def _plans() -> None:
    op.create_table(
        "plans",
        sa.Column("id", INT, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("source_service", sa.Text, nullable=False),
        sa.Column("source_datacenter_id", INT),
        sa.Column("dest_service", sa.Text, nullable=False),
        sa.Column("dest_datacenter_id", INT),
        sa.Column("requester", sa.Text, nullable=False),
        sa.Column("channel", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        *_text("expires_at", "updated_at", "source_zone", "dest_zone", "route", "items", "left_out"),
        *_text("decided_by", "decided_at", "card_channel", "card_ts"),
    )
    op.create_index("idx_plans_state", "plans", ["state"])


def _counts() -> None:
    """Requests by state and audit lines by action, kept by the database itself (m008)."""
    op.create_table("state_counts", sa.Column("state", sa.Text, primary_key=True), _n())
    op.create_table("action_counts", sa.Column("action", sa.Text, primary_key=True), _n())
    if op.get_context().dialect.name == "postgresql":
        _postgres_counters()
    else:
        _sqlite_counters()


def _n() -> sa.Column[int]:
    return sa.Column("n", INT, nullable=False)


def _sqlite_counters() -> None:
    bump = (
        "INSERT INTO state_counts (state, n) VALUES (NEW.state, 1) ON CONFLICT(state) DO UPDATE SET n = n + 1"
    )
    op.execute(f"CREATE TRIGGER requests_counted_on_insert AFTER INSERT ON requests BEGIN {bump}; END")
    op.execute(
        "CREATE TRIGGER requests_counted_on_move AFTER UPDATE OF state ON requests "
        "WHEN OLD.state != NEW.state BEGIN "
        f"UPDATE state_counts SET n = n - 1 WHERE state = OLD.state; {bump}; END"
    )
    op.execute(
        "CREATE TRIGGER audit_counted AFTER INSERT ON audit BEGIN "
        "INSERT INTO action_counts (action, n) VALUES (NEW.action, 1) "
        "ON CONFLICT(action) DO UPDATE SET n = n + 1; END"
    )


def _postgres_counters() -> None:
    # The same three triggers as on SQLite, as PL/pgSQL functions. Writes are serialized by the
    # store's advisory lock, so two moves never wait on each other's counter rows.
    op.execute(
        """
        CREATE FUNCTION pcc_count_request_state() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                IF OLD.state = NEW.state THEN RETURN NULL; END IF;
                UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
            END IF;
            INSERT INTO state_counts (state, n) VALUES (NEW.state, 1)
                ON CONFLICT (state) DO UPDATE SET n = state_counts.n + 1;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION pcc_count_audit_action() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO action_counts (action, n) VALUES (NEW.action, 1)
                ON CONFLICT (action) DO UPDATE SET n = action_counts.n + 1;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER requests_counted_on_insert AFTER INSERT ON requests "
        "FOR EACH ROW EXECUTE FUNCTION pcc_count_request_state()"
    )
    op.execute(
        "CREATE TRIGGER requests_counted_on_move AFTER UPDATE OF state ON requests "
        "FOR EACH ROW EXECUTE FUNCTION pcc_count_request_state()"
    )
    op.execute(
        "CREATE TRIGGER audit_counted AFTER INSERT ON audit "
        "FOR EACH ROW EXECUTE FUNCTION pcc_count_audit_action()"
    )
