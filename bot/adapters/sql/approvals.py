"""The votes' member of the repository: each approval of a decision under a quorum is one row,
inserted once (the key is the decision and the approver: a second click of the same person, on any
replica, is refused by the database)."""

from __future__ import annotations

from datetime import datetime

from bot.adapters.sql.rows import entry_row, iso, parse
from bot.adapters.sql.store import IntegrityError, Member, insert, text
from bot.domain import AuditEntry
from bot.domain.policy import Approval


class SqlVotes(Member):
    """The repository's ``votes`` member (usecases/stores.py VoteStore)."""

    def add(
        self,
        subject: str,
        request_id: int | None,
        approver: str,
        at: datetime,
        reason: str,
        line: AuditEntry | None,
    ) -> bool:
        """Record one approval with its audit line, in one transaction: False when this approver already
        approved ``subject`` (nothing is written)."""
        try:
            with self._store.write() as conn:
                conn.execute(
                    text(
                        "INSERT INTO approvals (subject, approver, request_id, at, reason) "
                        "VALUES (:subject, :approver, :request_id, :at, :reason)"
                    ),
                    {
                        "subject": subject,
                        "approver": approver,
                        "request_id": request_id,
                        "at": iso(at),
                        "reason": reason,
                    },
                )
                if line is not None:
                    insert(conn, "audit", entry_row(line))
        except IntegrityError:
            return False
        return True

    def of(self, subject: str) -> list[Approval]:
        rows = self._store.rows(
            "SELECT approver, at, reason FROM approvals WHERE subject = :subject ORDER BY at, approver",
            {"subject": subject},
        )
        return [Approval(r["approver"], parse(r["at"]) or datetime.min, r["reason"]) for r in rows]
