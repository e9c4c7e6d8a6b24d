"""The runtime pause: `/pcc pause [reason]` (stored in the database, so every replica sees it) or
`PCC_READ_ONLY=1` at start-up. While pcc-bot is paused no mutating OVHcloud call is sent, whoever
decides it (a click, a plan's dispatch); ``Paused`` says who paused it, since when and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import PccBotError
from bot.support.i18n import Text, _
from bot.support.mrkdwn import esc

#: Who "paused" pcc-bot when it was started with PCC_READ_ONLY=1.
READ_ONLY_SWITCH = "PCC_READ_ONLY"


@dataclass(frozen=True)
class Pause:
    """pcc-bot paused by ``by`` (a Slack user id, or ``READ_ONLY_SWITCH``) since ``since``."""

    by: str
    reason: str
    since: datetime

    @property
    def by_switch(self) -> bool:
        return self.by == READ_ONLY_SWITCH

    def words(self, *, markup: bool = False) -> Text:
        """ "paused by @x since 14:05 UTC: reason". ``markup``: for a card or a board (a mention, the
        reason escaped); else plain words (an answer, escaped as a whole where it is shown)."""
        since = f"{self.since:%H:%M}"
        if markup:
            who = f"`{self.by}`" if self.by_switch else f"<@{self.by}>"
            reason = esc(self.reason)
        else:
            who, reason = self.by, self.reason
        if reason:
            return _("paused by {who} since {since} UTC: {reason}", who=who, since=since, reason=reason)
        return _("paused by {who} since {since} UTC", who=who, since=since)


class Paused(PccBotError):
    """A mutating call (or a decision that leads to one) asked while pcc-bot is paused: nothing was
    sent, and what was decided stays where it was."""

    def __init__(self, pause: Pause, what: Text) -> None:
        self.pause = pause
        said = (
            _(
                "pcc-bot is in read-only mode (`PCC_READ_ONLY=1`): {what} is switched off, nothing was sent "
                "to OVHcloud. Listing, status, cancel and reject still work.",
                what=what,
            )
            if pause.by_switch
            else _(
                "pcc-bot is {paused}: {what} waits, nothing was sent to OVHcloud. An approver resumes it "
                "with `/pcc resume`.",
                paused=pause.words(),
                what=what,
            )
        )
        super().__init__(str(said), markup=None, text=said)
