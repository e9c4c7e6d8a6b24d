"""Several replicas on one database: notices claimed with a lease, signed Slack requests remembered in
the database (a replay reaching another replica is still caught), and the OVHcloud budget's calls
counted where every replica sees them."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A replica claims a due notice until claimed_until (UTC ISO-8601); a dead one's claims lapse.
    op.add_column("notices", sa.Column("claimed_by", sa.Text))
    op.add_column("notices", sa.Column("claimed_until", sa.Text))
    # Signed requests already handled, for as long as Slack's signature check accepts their timestamp.
    op.create_table(
        "replays",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_index("replays_by_age", "replays", ["seen_at"])
    # One row per OVHcloud call place taken, by any replica, on the database's clock.
    op.create_table(
        "ovh_calls",
        sa.Column("id", INT, primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("mutating", INT, nullable=False, server_default="0"),
        sa.Column("replica", sa.Text),
    )
    op.create_index("ovh_calls_by_age", "ovh_calls", ["at"])
