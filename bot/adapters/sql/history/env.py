"""Alembic's entry: migrate the connection the store hands over (never a URL of Alembic's own)."""

from alembic import context
from sqlalchemy import text

from bot.adapters.sql.store import WRITE_LOCK

connection = context.config.attributes["connection"]
context.configure(connection=connection, transaction_per_migration=False)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Replicas starting together: one migrates, the others wait (longer than a write's lock_timeout:
        # a migration may take a while), then find nothing to do.
        connection.execute(text("SET LOCAL lock_timeout = '120s'"))
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
    context.run_migrations()
