"""adapters/sql: the Repository port on SQLite (the embedded default) or PostgreSQL (several replicas),
the same SQL on both (SQLite through the standard library, PostgreSQL through SQLAlchemy Core), with
one Alembic migration history for both engines."""
