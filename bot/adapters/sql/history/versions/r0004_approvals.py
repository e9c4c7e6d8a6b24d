"""Approval policies: each counted approval its own row (one per decision and approver: a repeated
click is refused by the key), with the reason given; a request's card shows where its quorum stands."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"


def upgrade() -> None:
    # ``subject`` names the decision approved: a request's approval, a relaunch attempt, a removal.
    op.create_table(
        "approvals",
        sa.Column("subject", sa.Text, primary_key=True),
        sa.Column("approver", sa.Text, primary_key=True),
        sa.Column("request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("approvals_by_request", "approvals", ["request_id"])
    # "1 of 2 approvals: @bob · waiting for one from @security", while a quorum gathers.
    op.add_column("requests", sa.Column("quorum", sa.Text))
    # The reason the last approver or rejecter gave (a policy may require one).
    op.add_column("requests", sa.Column("decision_reason", sa.Text))
