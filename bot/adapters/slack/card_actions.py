"""What a request's card and its notices offer: the buttons, each with its confirm dialog, in the
channel's language. Pure builders."""

from __future__ import annotations

from bot.adapters.slack import ids
from bot.adapters.slack.kit import Block, actions, button
from bot.domain import DECIDE, OPERATIONS, MigrationRequest, NoticeButton, State
from bot.domain.operations import behaviour_of, launch_of, with_buttons
from bot.support.i18n import DEFAULT_LOCALE, _

#: Candidate tasks a card of a call in doubt lists, each with its Adopt button (one block each).
MAX_CANDIDATES_SHOWN = 10


def _confirm_text(request: MigrationRequest, locale: str) -> str:
    """The confirm dialog (Slack caps it at 300 characters): what the click does and accepts."""
    after = launch_of(request).confirm_note.render(locale)
    text = _("This calls {call} once; {after}.", call=f"`{request.api_call}`", after=after).render(locale)
    if request.uses_copy_filer:
        accepted = _("Your click is recorded as the acceptance of the conditions quoted on the card.")
        text += " " + accepted.render(locale)
    return text[:300]


def confirm_of(
    action_id: str, request: MigrationRequest, task_id: int | None = None, locale: str = DEFAULT_LOCALE
) -> tuple[str, str]:
    """The one confirm policy: every button that makes or settles an OVHcloud call (``ids.CONFIRMED``)
    asks first, with what it does to which object, wherever it is posted (card or notice)."""
    if action_id == ids.APPROVE:
        return _("Start the copy?").render(locale), _confirm_text(request, locale)
    if action_id == ids.ADOPT:
        said = _(
            "pcc-bot then tracks task {task} as request #{id}'s. Only once checked at OVHcloud.",
            task=str(task_id),
            id=request.id,
        )
        return _("Adopt task {task}?", task=str(task_id)).render(locale), said.render(locale)
    if action_id == ids.CLOSE_NOT_STARTED:
        name = request.in_doubt.name if request.in_doubt else "last"
        said = _(
            "Only if you checked at OVHcloud that the {name} call of request #{id} started nothing. No "
            "call is made.",
            name=name,
            id=request.id,
        )
        return _("Close: not started?").render(locale), said.render(locale)
    operation = ids.CALL_BUTTONS.get(action_id)
    if operation is None:
        raise ValueError(f"{action_id} makes no OVHcloud call")
    title, said = behaviour_of(operation).confirm(request)
    return title.render(locale), said.render(locale)


def _confirmed(
    action_id: str,
    label: str,
    request: MigrationRequest,
    locale: str,
    *,
    task_id: int | None = None,
    style: str | None = None,
) -> Block:
    """A button of ``ids.CONFIRMED`` for the request, its value and confirm dialog built here."""
    value = str(request.id)
    if action_id in (ids.ADOPT, ids.CLOSE_NOT_STARTED):  # about this call in doubt only
        value = f"{request.id}:{request.episode}" + (f":{task_id}" if task_id is not None else "")
    confirm = confirm_of(action_id, request, task_id, locale)
    return button(action_id, label, value, confirm=confirm, style=style, back=_("Back").render(locale))


def notice_actions(offered: NoticeButton, request: MigrationRequest, locale: str) -> list[Block]:
    """The action(s) a notice offers (the same as on the card, with the same confirms)."""
    if offered == DECIDE:
        return decision_blocks(request, locale)
    return _offered(offered, request, locale, "-notice")


def _offered(offered: NoticeButton, request: MigrationRequest, locale: str, where: str = "") -> list[Block]:
    """The button of an operation's call, with its confirm (``where``: in a notice, its block id says)."""
    action_id, label = ids.action_id(offered), behaviour_of(with_buttons()[offered]).label
    shown = _confirmed(action_id, label.render(locale), request, locale)
    return [actions(f"{action_id}{where}-{request.id}", shown)]


def decision_blocks(request: MigrationRequest, locale: str) -> list[Block]:
    """A call in doubt: one Adopt button per candidate task (not for a relaunch: its task is known),
    and Close: not started. Each button is its own block (an action id once per block)."""
    operation = request.in_doubt
    if operation is None:
        return []
    blocks: list[Block] = []
    if behaviour_of(operation).adoptable:
        for task in request.candidates[:MAX_CANDIDATES_SHOWN]:
            label = _("Adopt task {task}", task=str(task.task_id)).render(locale)
            adopt = _confirmed(ids.ADOPT, label, request, locale, task_id=task.task_id)
            blocks.append(actions(f"adopt-{request.id}-{task.task_id}", adopt))
    closing = _confirmed(ids.CLOSE_NOT_STARTED, _("Close: not started").render(locale), request, locale)
    blocks.append(actions(f"close-{request.id}", closing))
    return blocks


def actions_of(request: MigrationRequest, locale: str) -> list[Block]:
    """What the card offers in the request's state."""
    if request.in_doubt is not None:
        return decision_blocks(request, locale)
    if request.state == State.PENDING:
        approve = _confirmed(ids.APPROVE, _("Approve").render(locale), request, locale, style="primary")
        reject = button(ids.REJECT, _("Reject").render(locale), str(request.id), style="danger")
        return [actions(f"decide-{request.id}", approve, reject)]
    for operation in OPERATIONS:  # the calls the card offers in this state (Retry, Remove copy)
        own = behaviour_of(operation)
        if own.button is not None and operation.origin == request.state and own.offered(request):
            return _offered(own.button, request, locale)
    return []
