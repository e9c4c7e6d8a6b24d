"""adapters/sql: the Repository port on SQLite (the embedded default) or PostgreSQL (several replicas),
through SQLAlchemy Core, with one Alembic migration history for both engines."""
