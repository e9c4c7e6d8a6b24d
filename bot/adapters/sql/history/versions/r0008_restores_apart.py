"""A restore's filer_id holds its backup repository's id: the one-active-request rule keeps copies and
restores apart (one partial index each), so that a repository whose id equals a datastore's id does not
block that datastore's copy, or the other way round."""

from alembic import op

revision = "0008"
down_revision = "0007"

ACTIVE = "'approved', 'needs_attention', 'pending', 'relaunch_in_doubt', 'relaunching', 'replicating'"


def upgrade() -> None:
    op.execute("DROP INDEX one_active_request_per_filer")
    op.execute(
        "CREATE UNIQUE INDEX one_active_request_per_filer ON requests(source_service, filer_id) "
        f"WHERE state IN ({ACTIVE}) AND COALESCE(route, '') != 'batchRestore'"
    )
    op.execute(
        "CREATE UNIQUE INDEX one_active_restore_per_repository ON requests(source_service, filer_id) "
        f"WHERE state IN ({ACTIVE}) AND route = 'batchRestore'"
    )
