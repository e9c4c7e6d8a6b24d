"""The runtime pause (`/pcc pause [reason]`, `/pcc resume`): at most one row, read by every replica
before each mutating call and at each tick. Its audit lines have no request (request_id NULL)."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "pause",
        sa.Column("id", sa.Integer, primary_key=True),  # always 1: one pause at a time
        sa.Column("paused_by", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("since", sa.Text, nullable=False),
        sa.CheckConstraint("id = 1", name="one_pause"),
    )
