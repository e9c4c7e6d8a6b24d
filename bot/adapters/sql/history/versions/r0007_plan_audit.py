"""A plan's own audit lines (filed, approved, rejected, expired, withdrawn, cancel the rest, ended): the
audit table names the plan a line is about; such a line has no request."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("audit", sa.Column("plan_id", INT))
    op.execute("CREATE INDEX audit_of_plan ON audit(plan_id) WHERE plan_id IS NOT NULL")
