"""The words of an approval policy's messages to people (usecases/approvals.py): stored untranslated,
rendered in each reader's language by the outbox (a direct message in its person's)."""

from __future__ import annotations

from bot.domain import MigrationRequest, State
from bot.support.i18n import Param, Text, _, stored
from bot.usecases import messages


def _quoted(reason: str) -> str:
    return f"\n> {reason}" if reason else ""


def decided_dm(request: MigrationRequest, user: str, outcome: State, reason: str) -> str:
    """The requester told their request was approved, rejected (with the reason) or expired."""
    said: dict[str, Param] = {
        "id": request.id,
        "name": f"`{request.filer_name}`",
        "dest": request.spec.dest_service,
        "who": f"<@{user}>",
        "link": messages.thread_said(request),
        "quoted": _quoted(reason),
    }
    if outcome is State.EXPIRED:
        return stored(_("Your request #{id} ({name} to {dest}) expired; see {link}.{quoted}", **said))
    if outcome is State.REJECTED:
        return stored(
            _("Your request #{id} ({name} to {dest}) was rejected by {who}; see {link}.{quoted}", **said)
        )
    return stored(
        _("Your request #{id} ({name} to {dest}) was approved by {who}; see {link}.{quoted}", **said)
    )


def reason_told(request: MigrationRequest, user: str, outcome: State, reason: str) -> str:
    """A decision's reason, in the request's thread."""
    said: dict[str, Param] = {"who": f"<@{user}>", "id": request.id, "quoted": _quoted(reason)}
    if outcome is State.REJECTED:
        return stored(_("{who} rejected request #{id}:{quoted}", **said))
    return stored(_("{who} approved request #{id}:{quoted}", **said))


def approved_so_far(request: MigrationRequest, user: str, tally: Text, reason: str) -> str:
    """An approval counted that does not complete the quorum, in the request's thread."""
    return stored(
        _(
            ":ballot_box_with_check: {who} approved request #{id}: {tally}{quoted}",
            who=f"<@{user}>",
            id=request.id,
            tally=tally,
            quoted=_quoted(reason),
        )
    )
