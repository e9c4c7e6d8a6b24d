"""Who may see and who may decide (re-checked on every click), the read-only switch and the pause.

Part of the service layer: the Directory port for user groups, nothing else.
"""

from __future__ import annotations

from bot.domain import MigrationRequest, NotAllowed, Plan
from bot.support.i18n import Text, _
from bot.usecases.pause import Switch
from bot.usecases.ports import Directory
from bot.usecases.refusal_words import said_as
from bot.usecases.settings import ServiceSettings


class Guard:
    """Who may see and who may decide (re-checked on every click), the read-only switch and the pause."""

    def __init__(self, directory: Directory, settings: ServiceSettings, switch: Switch | None = None) -> None:
        self.directory = directory
        self.settings = settings
        self.switch = switch  # the runtime pause (usecases/pause.py); None: PCC_READ_ONLY only

    def is_approver(self, user: str, *, fresh: bool = False) -> bool:
        """A listed user, or a member of a listed user group (read from Slack: cached briefly for
        what is shown, ``fresh`` for a decision)."""
        if user in self.settings.approver_users:
            return True
        return any(
            user in self.directory.group_members(g, fresh=fresh)
            for g in sorted(self.settings.approver_groups)
        )

    def may_read(self, user: str) -> bool:
        """PCC_READERS: anyone when empty, else a listed user, a member of a listed group, or an approver."""
        readers = self.settings.readers
        if not readers or user in readers or self.is_approver(user):
            return True
        return any(user in self.directory.group_members(g) for g in sorted(readers) if g.startswith("S"))

    def check_reader(self, user: str, what: str | Text) -> None:
        if not self.may_read(user):
            said = _(
                "only the people listed in PCC_READERS (and the approvers) can see {what}; ask an "
                "approver to add you",
                what=said_as(what),
            )
            raise NotAllowed(str(said), text=said)

    def may_decide(self, request: MigrationRequest, user: str) -> bool:
        """Four eyes: an approver who is not the requester."""
        return user != request.requester and self.is_approver(user)

    def check_approver(
        self, request: MigrationRequest | Plan, user: str, decision: str | Text = "approve or reject"
    ) -> None:
        """Re-checked on every click, with the group's members read now: a listed user or group member,
        never the requester. ``decision`` says what the click asked for, in the refusal."""
        what = (
            _("plan #{id}", id=request.id) if isinstance(request, Plan) else _("request #{id}", id=request.id)
        )
        if user == request.requester:
            said = _(
                "you filed {what} yourself: someone else, listed in PCC_APPROVERS, has to {decision} it",
                what=what,
                decision=said_as(decision),
            )
            raise NotAllowed(str(said), text=said)
        if not self.is_approver(user, fresh=True):
            said = _(
                "only the approvers listed in PCC_APPROVERS can {decision} {what}",
                decision=said_as(decision),
                what=what,
            )
            raise NotAllowed(str(said), text=said)

    def refuse_if_paused(self, what: Text) -> None:
        """A decision that leads to a mutating call, refused while pcc-bot is paused (`/pcc pause`, or
        PCC_READ_ONLY=1): nothing is counted or sent (``Paused`` says who paused and why)."""
        if self.switch is not None:
            self.switch.check(what)
        elif self.settings.read_only:
            self.refuse_if_read_only(str(what))

    def refuse_if_read_only(self, what: str) -> None:
        if self.settings.read_only:
            said = _(
                "pcc-bot is in read-only mode (PCC_READ_ONLY=1): {what} is switched off. Listing, status, "
                "cancel and reject still work.",
                what=said_as(what),
            )
            raise NotAllowed(str(said), text=said)
