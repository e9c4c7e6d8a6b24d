"""The pause's member of the repository: one row while pcc-bot is paused, written with its audit line
in one transaction (a second pause, on any replica, is refused by the key)."""

from __future__ import annotations

from datetime import datetime

from bot.adapters.sql.rows import entry_row, iso, parse
from bot.adapters.sql.store import IntegrityError, Member, insert, text
from bot.domain import AuditEntry, Pause


class SqlPause(Member):
    """The repository's ``pause`` member (usecases/stores.py PauseStore)."""

    def current(self) -> Pause | None:
        """The pause in force, if any: one small read, made before each mutating call."""
        rows = self._store.rows("SELECT paused_by, reason, since FROM pause WHERE id = 1")
        if not rows:
            return None
        row = rows[0]
        return Pause(row["paused_by"], row["reason"], parse(row["since"]) or datetime.min)

    def start(self, pause: Pause, line: AuditEntry) -> bool:
        """Pause, with its audit line: False when pcc-bot is paused already (nothing written)."""
        try:
            with self._store.write() as conn:
                conn.execute(
                    text("INSERT INTO pause (id, paused_by, reason, since) VALUES (1, :by, :reason, :since)"),
                    {"by": pause.by, "reason": pause.reason, "since": iso(pause.since)},
                )
                insert(conn, "audit", entry_row(line))
        except IntegrityError:
            return False
        return True

    def end(self, line: AuditEntry) -> bool:
        """Resume, with its audit line: False when pcc-bot was not paused (nothing written)."""
        with self._store.write() as conn:
            ended = conn.execute(text("DELETE FROM pause WHERE id = 1")).rowcount
            if ended:
                insert(conn, "audit", entry_row(line))
        return bool(ended)
