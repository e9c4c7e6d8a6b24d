"""Which replica runs the scheduled work (polling, reminders, expiry, boards): one at a time.

SQLite: the one process leads. PostgreSQL: whoever holds a session-level advisory lock, taken on a
connection of its own (outside the pool, autocommit, never idle in a transaction, TCP keepalives on
both sides) and checked at every tick: an error on that connection steps down at once, and the lock
dies with the connection, so a survivor takes over at its next tick. A leader that stops ticking (a
frozen process, a paused VM: its kernel still answers keepalives) loses the session, and the lock,
after ``idle_session_timeout`` (PostgreSQL 14 or later): the others take over within seconds.
Correctness never depends on the leader (decisions are compare-and-set in the database); the lock
only keeps the work from being done twice."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from bot.adapters.sql.store import KEEPALIVES, SESSION_SETTINGS, session_options
from bot.support.locations import is_postgres, redact

log = logging.getLogger(__name__)

#: The advisory lock of leadership (any constant of our own, apart from the write lock).
LEADER_LOCK = 0x50CC_0002
#: The leader's session: ended by the server once idle this long. A live leader asks at every tick
#: (every few seconds); a frozen one loses the lead to a survivor's next tick.
LEADER_SESSION: dict[str, str] = {**SESSION_SETTINGS, "idle_session_timeout": "20s"}


class Alone:
    """The single process of a SQLite deployment: always the leader."""

    def leads(self) -> bool:
        return True

    def close(self) -> None:
        return None


class AdvisoryLeader:
    def __init__(self, url: str) -> None:
        self._url = "postgresql://" + url.split("://", 1)[1]
        self._conn: Any = None
        self._leading = False
        self._lock = threading.Lock()

    def leads(self) -> bool:
        """Asked at every tick: keeps, takes or loses the lead; never raises."""
        import psycopg

        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(
                        self._url, autocommit=True, connect_timeout=5, application_name="pcc-bot-leader",
                        options=session_options(LEADER_SESSION), **KEEPALIVES,
                    )  # fmt: skip
                    self._leading = False
                if self._leading:
                    self._conn.execute("SELECT 1")  # the lock lives as long as this connection
                else:
                    row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", [LEADER_LOCK]).fetchone()
                    self._leading = bool(row and row[0])
                    if self._leading:
                        log.info("this replica now leads the scheduled work")
            except psycopg.Error as error:
                if self._leading:
                    log.warning("stepping down: the leader's connection failed (%s)", error)
                else:
                    log.warning("cannot ask for the lead on %s: %s", redact(self._url), error)
                self._drop()
        return self._leading

    def _drop(self) -> None:
        self._leading = False
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already broken: closing is best effort
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()


def leadership(location: str) -> Alone | AdvisoryLeader:
    return AdvisoryLeader(location) if is_postgres(location) else Alone()
