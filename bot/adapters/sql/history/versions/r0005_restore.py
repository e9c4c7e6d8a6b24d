"""The Veeam batch restore: a restore request names the backup job it restores, when one was named
(its repository is the request's filer_name, its route `batchRestore`)."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("requests", sa.Column("backup_job_name", sa.Text))
