"""Where a database is: a SQLite path, or a PostgreSQL URL (which may hold a password)."""

from __future__ import annotations

import re

POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")

#: libpq's other form of a password: a query parameter (``?password=…``, ``&sslpassword=…``).
_QUERY_PASSWORD = re.compile(r"([?&](?:ssl)?password=)[^&#]*", re.IGNORECASE)


def is_postgres(location: str) -> bool:
    return location.startswith(POSTGRES_SCHEMES)


def redact(location: str) -> str:
    """A database location fit for a log line or a message: never its password, whichever form
    holds it (``user:password@host`` or ``?password=``). The one helper for every place that shows it."""
    if not is_postgres(location):
        return location
    scheme, rest = location.split("://", 1)
    rest = _QUERY_PASSWORD.sub(r"\1***", rest)
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    if "@" in authority:
        credentials = authority.rsplit("@", 1)[0]
        if ":" in credentials:
            user = credentials.split(":", 1)[0]
            rest = f"{user}:***@" + rest[len(credentials) + 1 :]
    return f"{scheme}://{rest}"
