"""What a button's value carries: a request id, or a call in doubt's request, episode and task. Pure:
no I/O."""

from __future__ import annotations

from bot.adapters.slack import refusals
from bot.adapters.slack.grammar import _ID
from bot.support.i18n import _


def parse_doubt_value(value: object) -> tuple[int, str, int | None]:
    """(request id, episode, task id or None) carried by the buttons that settle a call in doubt:
    "requestId:episode" (Close: not started) or "requestId:episode:taskId" (Adopt task N)."""
    request, episode, *task = [*str(value or "").split(":"), ""]
    task = [t for t in task if t]
    if not _ID.fullmatch(request) or not episode.isdigit() or len(task) > 1:
        raise refusals.refused(
            _(
                "this button does not carry a request id and the call it is about (a button of an older "
                "version?): use the request's card, or `/pcc cancel <requestId>` to close a call in doubt"
            )
        )
    if task and not _ID.fullmatch(task[0]):
        raise refusals.refused(_("this button does not carry a valid task id"))
    return int(request), episode, int(task[0]) if task else None


def parse_request_id(value: object) -> int:
    """The request id carried by a button's value."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise refusals.refused(_("this button does not carry a valid request id"))
    return int(value)
