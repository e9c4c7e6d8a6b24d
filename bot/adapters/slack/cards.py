"""The request's card, its notices' actions, the incident board and `/pcc status`: pure builders."""

from __future__ import annotations

from bot.adapters.slack import ids
from bot.adapters.slack.kit import (
    Block,
    Message,
    actions,
    bar,
    button,
    context,
    duration,
    fitted,
    header,
    section,
    size_of,
    when,
)
from bot.domain import COPY_FILER_CONSENT, AuditEntry, MigrationRequest, NoticeButton, State
from bot.domain.restore import words_of
from bot.support.mrkdwn import esc
from bot.usecases import messages
from bot.usecases.ports import Board

STATE_LABELS = {
    State.PENDING: ":hourglass_flowing_sand: waiting for approval",
    State.APPROVED: ":arrow_forward: approved, calling OVHcloud",
    State.REPLICATING: ":arrows_counterclockwise: replicating",
    State.DONE: ":white_check_mark: done",
    State.FAILED: ":x: failed",
    State.NEEDS_ATTENTION: ":warning: needs attention",
    State.REJECTED: ":no_entry: rejected",
    State.CANCELLED: ":heavy_multiplication_x: cancelled",
    State.EXPIRED: ":zzz: expired",
    State.REMOVING: ":wastebasket: copy being removed",
    State.REMOVED: ":white_check_mark: done, copy removed",
    State.RELAUNCHING: ":arrows_counterclockwise: relaunch approved, calling OVHcloud",
    State.RELAUNCH_IN_DOUBT: ":warning: relaunch in doubt",
    State.REMOVAL_IN_DOUBT: ":warning: copy removal in doubt",
}

#: What each in-doubt state means, for the card, `/pcc status` and docs/commands.md.
IN_DOUBT_MEANING = {
    State.NEEDS_ATTENTION: "the migration call got no clear answer: it may have started",
    State.RELAUNCH_IN_DOUBT: "resetTaskState got no clear answer: the task may have been relaunched",
    State.REMOVAL_IN_DOUBT: "the removal call got no clear answer: the copy may be being removed",
}


def label_of(request: MigrationRequest) -> str:
    """The request's state as its card and lists say it (an operation may word some states its way)."""
    own = words_of(request.launch)
    return own.labels.get(request.state, STATE_LABELS[request.state]) if own else STATE_LABELS[request.state]


def _card_fields(request: MigrationRequest) -> str:
    own = words_of(request.launch)
    if own is not None:
        return own.card_lines(request)
    spec = request.spec
    vms = "?" if request.vm_total is None else request.vm_total
    source_zone, dest_zone = esc(request.source_zone), esc(request.dest_zone)
    return (
        f"*Requested by* <@{request.requester}> at {when(request.created_at)}\n"
        f"*Source* {spec.source_service} · datacenter {spec.source_datacenter_id} · {source_zone}\n"
        f"*Filer* `{esc(request.filer_name)}` (id {spec.filer_id}) · {esc(request.filer_size)} · "
        f"{vms} VM(s)\n"
        f"*Destination* {spec.dest_service} · datacenter {spec.dest_datacenter_id} · {dest_zone}\n"
        f"*Approval will call* `{request.api_call}`"
        + (f"\n{messages.ROUTE_ABSENT_SAID}" if request.api_call.endswith(messages.ROUTE_ABSENT) else "")
        + (
            f"\n*Part of plan #{request.plan_id}*: approved with it, its board is in <#{request.channel}>"
            if request.plan_id
            else ""
        )
    )


def _progress(request: MigrationRequest) -> str:
    parts = [label_of(request)]
    if request.decided_by and request.state != State.PENDING:  # (an approval whose call was not sent)
        verb = {State.REJECTED: "rejected", State.CANCELLED: "cancelled"}.get(request.state, "approved")
        parts.append(f"{verb} by <@{request.decided_by}> at {when(request.decided_at)}")
    if request.task_id is not None:
        parts.append(f"OVHcloud task {request.task_id}")
    if request.task_state and request.state == State.REPLICATING:
        parts.append(f"task {messages.task_meaning(request.task_state)}")
        if request.progress is not None:
            parts.append(f"`{bar(request.progress / 100)}` {request.progress}% · {expected_end(request)}")
        if request.transferred:
            parts.append(f"{esc(size_of(request.transferred))} copied")
        if request.decided_at and request.last_check_at:
            parts.append(f"running {duration(request.last_check_at - request.decided_at)}")
            parts.append(f"last check {request.last_check_at:%H:%M} UTC")
    if request.state == State.DONE and request.decided_at and request.updated_at:
        parts.append(f"took {duration(request.updated_at - request.decided_at)}")
    if request.state == State.PENDING:
        parts.append(f"expires {when(request.expires_at)}")
    if request.quorum:  # an approval policy's quorum (usecases/approvals.py): who approved, who is needed
        parts.append(request.quorum)
    if request.decision_reason:
        parts.append(f"reason: {esc(request.decision_reason)}")
    if request.last_error and (request.state == State.FAILED or request.in_doubt is not None):
        parts.append(esc(request.last_error))
    return " · ".join(parts)


def _confirm_text(request: MigrationRequest) -> str:
    """The confirm dialog (Slack caps it at 300 characters): what the click does and accepts."""
    own = words_of(request.launch)
    after = own.confirm_note if own is not None else "replication takes hours"
    text = f"This calls `{request.api_call}` once; {after}."
    if request.uses_copy_filer:
        text += " Your click is recorded as the acceptance of the conditions quoted on the card."
    return text[:300]


def confirm_of(action_id: str, request: MigrationRequest, task_id: int | None = None) -> tuple[str, str]:
    """The one confirm policy: every button that makes or settles an OVHcloud call (``ids.CONFIRMED``)
    asks first, with what it does to which object, wherever it is posted (card or notice)."""
    if action_id == ids.APPROVE:
        return "Start the copy?", _confirm_text(request)
    if action_id == ids.RETRY:
        return (
            "Relaunch the task?",
            f"This calls resetTaskState once on OVHcloud task {request.task_id} of request "
            f"#{request.id}; the copy resumes and is tracked again.",
        )
    if action_id == ids.REMOVE_COPY:
        return (
            "Remove the read-only copy?",
            f"Only once every VM is cloned to a writable datastore: this removes datastore "
            f"`{esc(messages.restore_name(request))}` from datacenter {request.spec.dest_datacenter_id} "
            f"of {request.spec.dest_service}.",
        )
    if action_id == ids.ADOPT:
        return (
            f"Adopt task {task_id}?",
            f"pcc-bot then tracks task {task_id} as request #{request.id}'s. Only once checked at OVHcloud.",
        )
    if action_id == ids.CLOSE_NOT_STARTED:
        name = request.in_doubt.name if request.in_doubt else "last"
        return (
            "Close: not started?",
            f"Only if you checked at OVHcloud that the {name} call of request #{request.id} started "
            "nothing. No call is made.",
        )
    raise ValueError(f"{action_id} makes no OVHcloud call")


def _confirmed(
    action_id: str,
    label: str,
    request: MigrationRequest,
    *,
    task_id: int | None = None,
    style: str | None = None,
) -> Block:
    """A button of ``ids.CONFIRMED`` for the request, its value and confirm dialog built here."""
    value = str(request.id)
    if action_id in (ids.ADOPT, ids.CLOSE_NOT_STARTED):  # about this call in doubt only
        value = f"{request.id}:{request.episode}" + (f":{task_id}" if task_id is not None else "")
    return button(action_id, label, value, confirm=confirm_of(action_id, request, task_id), style=style)


def notice_blocks(text: str, offered: NoticeButton, request: MigrationRequest) -> list[Block]:
    """A notice with the action(s) it offers (the same as on the card, with the same confirms)."""
    if offered == NoticeButton.DECIDE:
        return [section(text), *_decision_blocks(request)]
    action_id, label = {
        NoticeButton.RETRY: (ids.RETRY, "Retry"),
        NoticeButton.REMOVE_COPY: (ids.REMOVE_COPY, "Remove copy"),
    }[offered]
    return [section(text), actions(f"{action_id}-notice-{request.id}", _confirmed(action_id, label, request))]


def _decision_blocks(request: MigrationRequest) -> list[Block]:
    """A call in doubt: one Adopt button per candidate task (not for a relaunch: its task is known),
    and Close: not started. Each button is its own block (an action id once per block)."""
    operation = request.in_doubt
    if operation is None:
        return []
    blocks: list[Block] = []
    if operation.name != "relaunch":
        for task in request.candidates[:MAX_CANDIDATES_SHOWN]:
            adopt = _confirmed(ids.ADOPT, f"Adopt task {task.task_id}", request, task_id=task.task_id)
            blocks.append(actions(f"adopt-{request.id}-{task.task_id}", adopt))
    closing = _confirmed(ids.CLOSE_NOT_STARTED, "Close: not started", request)
    blocks.append(actions(f"close-{request.id}", closing))
    return blocks


def _actions_of(request: MigrationRequest) -> list[Block]:
    """What the card offers in the request's state."""
    if request.in_doubt is not None:
        return _decision_blocks(request)
    if request.state == State.PENDING:
        approve = _confirmed(ids.APPROVE, "Approve", request, style="primary")
        reject = button(ids.REJECT, "Reject", str(request.id), style="danger")
        return [actions(f"decide-{request.id}", approve, reject)]
    if request.can_retry:
        return [actions(f"{ids.RETRY}-{request.id}", _confirmed(ids.RETRY, "Retry", request))]
    if request.state == State.DONE and _offers_removal(request):
        remove = _confirmed(ids.REMOVE_COPY, "Remove copy", request)
        return [actions(f"{ids.REMOVE_COPY}-{request.id}", remove)]
    return []


def _offers_removal(request: MigrationRequest) -> bool:
    own = words_of(request.launch)
    return own is None or own.done_button == NoticeButton.REMOVE_COPY


def card_message(request: MigrationRequest, paused: str = "") -> Message:
    """A request's card; ``paused``: "paused by @x since …" while pcc-bot is paused (said first)."""
    own = words_of(request.launch)
    kind = own.title if own is not None else "Datastore copy request"
    title = f"{kind} #{request.id}: {request.filer_name} → {request.spec.dest_service}"
    blocks: list[Block] = [header(title), section(_card_fields(request)), context(_progress(request))]
    if paused:
        blocks.insert(1, section(f":double_vertical_bar: *{paused}*"))
    if request.uses_copy_filer and request.state == State.PENDING:
        blocks.append(
            section(
                f"*Approving accepts, for the customer, OVHcloud's conditions of copyFiler:*\n"
                f">{COPY_FILER_CONSENT}"
            )
        )
    if request.in_doubt is not None:
        own = words_of(request.launch)
        meaning = own.in_doubt_meaning if own is not None else IN_DOUBT_MEANING[request.state]
        blocks.append(section(f"*In doubt*: {meaning}. pcc-bot is {messages.checking(request)}."))
        found = [f"• {messages.task_line(t)}" for t in request.candidates[:MAX_CANDIDATES_SHOWN]]
        total = len(request.candidates)
        shown = f"; the first {len(found)} of {total}" if total > len(found) else ""
        candidates = [(f"*Candidate tasks* (none is provably this request's{shown}):", found)]
    else:
        candidates = []
    blocks = fitted(blocks, candidates, _actions_of(request), _candidates_more)
    return f"{esc(title)} ({request.state})", blocks  # the fallback text is read as mrkdwn


#: Candidate tasks a card of a call in doubt lists, each with its Adopt button (one block each).
MAX_CANDIDATES_SHOWN = 10


def _candidates_more(hidden: int) -> str:
    return f"_{hidden} more candidate task(s) not shown: one Slack message holds no more._"


#: The incident board's order: what needs a person first, then what moves.
_BOARD_ORDER = [*sorted(IN_DOUBT_MEANING), State.FAILED, State.APPROVED, State.RELAUNCHING, State.REMOVING]


def _state_rank(state: State) -> int:
    return _BOARD_ORDER.index(state) if state in _BOARD_ORDER else len(_BOARD_ORDER)


def _board_more(hidden: int) -> str:
    return (
        f"_{hidden} more in flight not shown: one Slack message holds no more. The counts above cover "
        "them all; `/pcc list` lists the recent ones, each plan's board its own._"
    )


def board_message(board: Board) -> Message:
    """The incident-room board: edited in place as migrations move. At any size, it fits one Slack
    message: the counts by state, the requests that need a person first, and what is not shown said."""
    title = f"Datastore copies: {len(board.active)} active, {board.done} done, {board.failed} failed"
    head = [header(title)]
    if board.paused:  # nothing is sent until an approver resumes: said first
        head.append(section(f":double_vertical_bar: *{board.paused}*"))
    if board.active:
        counts: dict[State, int] = {}
        for r in board.active:
            counts[r.state] = counts.get(r.state, 0) + 1
        ordered = sorted(counts.items(), key=lambda kv: _state_rank(kv[0]))
        shown = (f"{STATE_LABELS[s].split(' ')[0]} {n} {s.value.replace('_', ' ')}" for s, n in ordered)
        head.append(context(" · ".join(shown)))
    lines = [request_line(r) for r in sorted(board.active, key=lambda r: (_state_rank(r.state), r.id))] or [
        "_No migration in flight._"
    ]
    note = context("Completions and failures are posted as separate messages in this channel.")
    return title, fitted(head, [("*In flight*", lines)], [note], _board_more)


def expected_end(request: MigrationRequest) -> str:
    """ "ends ~15:40 UTC (about 1 h 20 min left)", "estimating…", or why there is no estimate."""
    found = request.expected_end()
    left = found.left(request.last_check_at or request.created_at)
    if found.end is None or left is None:
        return "no estimate: not moving" if found.status == "stalled" else "end: estimating…"
    return f"ends ~{found.end:%H:%M} UTC (about {duration(left)} left)"


def progress_of(r: MigrationRequest) -> str:
    """A replicating request's bar, percentage and expected end; nothing otherwise."""
    if r.state != State.REPLICATING or r.progress is None:
        return ""
    return f" `{bar(r.progress / 100)}` {r.progress}% · {expected_end(r)}"


def request_line(r: MigrationRequest) -> str:
    progress = progress_of(r)
    return (
        f"#{r.id} {label_of(r)}{progress} · `{esc(r.filer_name)}` {r.spec.source_service} → "
        f"{r.spec.dest_service}/{r.spec.dest_datacenter_id} · <@{r.requester}>"
    )


def status_message(request: MigrationRequest, history: list[AuditEntry]) -> Message:
    """The card without its buttons, then its history, newest first (the oldest lines are the ones
    left out, and counted, when one message cannot hold them all)."""
    text, blocks = card_message(request)
    blocks = [b for b in blocks if b["type"] != "actions"]
    lines = []
    for entry in reversed(history):
        move = f" ({entry.from_state or 'new'} → {entry.to_state})" if entry.to_state else ""
        actor = entry.actor if entry.actor == "pcc-bot" else f"<@{entry.actor}>"
        qid = f" · OVH query id {esc(entry.query_id)}" if entry.query_id else ""
        detail = f": {esc(entry.detail)}" if entry.detail else ""
        lines.append(f"{when(entry.at)} · {actor} · {esc(entry.action)}{move}{detail}{qid}")
    return text, fitted(blocks, [("*History* (newest first)", lines)], [], _history_more)


def _history_more(hidden: int) -> str:
    return f"_{hidden} older line(s) not shown: `/pcc audit` (approvers) has the whole trail as a CSV._"
