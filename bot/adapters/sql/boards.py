"""The boards' member of the repository: the incident room's board message in each channel, with a
digest of what it shows (it is edited only when that changed)."""

from __future__ import annotations

from datetime import datetime

from bot.adapters.sql.rows import iso
from bot.adapters.sql.store import Member, text


class SqlBoards(Member):
    """The repository's ``boards`` member (usecases/stores.py BoardStore)."""

    def get(self, channel: str) -> tuple[str, str] | None:
        """The board message in ``channel``: (ts, digest of what it shows)."""
        rows = self._store.rows("SELECT ts, digest FROM board WHERE channel = :channel", {"channel": channel})
        return (rows[0]["ts"], rows[0]["digest"]) if rows else None

    def save(self, channel: str, ts: str, digest: str, now: datetime) -> None:
        with self._store.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO board (channel, ts, digest, updated_at) "
                    "VALUES (:channel, :ts, :digest, :at) "
                    "ON CONFLICT (channel) DO UPDATE SET ts = excluded.ts, digest = excluded.digest, "
                    "updated_at = excluded.updated_at"
                ),
                {"channel": channel, "ts": ts, "digest": digest, "at": iso(now)},
            )
