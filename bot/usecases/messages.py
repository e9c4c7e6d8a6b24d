"""Texts of the notices posted in a request's thread and in the incident room (mrkdwn, no I/O)."""

from __future__ import annotations

from datetime import datetime

from bot.domain import (
    MIGRATION,
    RELAUNCH,
    REMOVAL,
    TASK_STATE_MEANINGS,
    MigrationRequest,
    NoticeButton,
    Operation,
    OvhApiError,
    StartedTask,
    Task,
)
from bot.domain.restore import words_of
from bot.support.mrkdwn import esc

#: Appended to a request's call when OVHcloud's API description did not list its route at filing.
ROUTE_ABSENT = " (route absent from OVHcloud's API description)"
#: What the card then says, before anyone approves.
ROUTE_ABSENT_SAID = (
    ":warning: OVHcloud's published API description no longer lists this route: approving will very "
    "probably fail (404). `pcc-bot doctor` checks every route."
)


def _where(request: MigrationRequest) -> str:
    spec = request.spec
    return (
        f"filer *{esc(request.filer_name)}* ({spec.filer_id}) of {spec.source_service} → "
        f"{spec.dest_service} datacenter {spec.dest_datacenter_id} ({esc(request.dest_zone)})"
    )


def restore_name(request: MigrationRequest) -> str:
    """The name OVHcloud gives the copy: restore-<source datastore number>."""
    number = request.filer_name.rsplit("-", 1)[-1]
    return f"restore-{number}" if number.isdigit() else f"restore-{request.spec.filer_id:06d}"


def called(request: MigrationRequest, operation: Operation, task: StartedTask, user: str) -> str:
    """A mutating call answered with its task: what runs now, in the request's thread."""
    own = words_of(operation)
    if own is not None:
        return own.called(request, task.task_id, task.query_id)
    if operation is RELAUNCH:
        return (
            f":arrows_counterclockwise: <@{user}> relaunched OVHcloud task {task.task_id} of request "
            f"#{request.id} (resetTaskState); it is tracked again as before."
        )
    if operation is REMOVAL:
        return (
            f":wastebasket: <@{user}> approved removing `{restore_name(request)}`, the copy of request "
            f"#{request.id}, from "
            f"{request.spec.dest_service} datacenter {request.spec.dest_datacenter_id} "
            f"(OVHcloud task {task.task_id})."
        )
    query = f" (OVH query id {esc(task.query_id)})" if task.query_id else ""
    return (
        f"Replication started for request #{request.id}: {_where(request)}. OVHcloud task "
        f"{task.task_id}{query}. Progress is shown on the card; completion will be announced here."
    )


def completed(request: MigrationRequest) -> str:
    own = words_of(request.launch)
    if own is not None:
        return own.completed(request)
    copy = restore_name(request)
    return (
        f":white_check_mark: Request #{request.id} done: {_where(request)}.\n"
        f"The copy is mounted as datastore `{copy}` on every host of datacenter "
        f"{request.spec.dest_datacenter_id}. It is *read-only*.\n"
        f"Next: register the VMs from `{copy}` in the vSphere inventory, then *clone each VM to a "
        f"writable datastore before powering it on* (powering on from the copy fails with "
        f'"Unable to write the VMX file"). Once every VM is cloned, an approver removes the copy with '
        f"*Remove copy*. "
        f"(OVHcloud task {request.task_id})"
    )


def done_button(request: MigrationRequest) -> NoticeButton | None:
    """What the notice of a finished request offers: the copy's removal, unless its operation says."""
    own = words_of(request.launch)
    return own.done_button if own is not None else NoticeButton.REMOVE_COPY


def failed(request: MigrationRequest, task: Task) -> str:
    own = words_of(request.launch)
    if own is not None:
        return own.failed(request, task)
    detail = f": {esc(task.description)}" if task.description else ""
    retry = (
        " An approver can relaunch it with *Retry* on the card (resetTaskState)."
        if task.state == "error"
        else ""
    )
    return (
        f":x: Request #{request.id} failed: {_where(request)}. OVHcloud task {task.task_id} ended "
        f"`{esc(task.state)}`{detail}. Give OVHcloud support the task id {task.task_id}.{retry}"
    )


def relaunch_confirmed(request: MigrationRequest, task: Task) -> str:
    return (
        f":arrows_counterclockwise: OVHcloud task {task.task_id} of request #{request.id} was relaunched "
        f"(it is `{esc(task.state)}` now); tracked again as before."
    )


def _call(request: MigrationRequest, operation: Operation) -> str:
    """A mutating call as people name it."""
    own = words_of(operation)
    if own is not None:
        return own.call(request)
    return {
        MIGRATION.name: f"the call `{request.api_call}`",
        RELAUNCH.name: f"resetTaskState on OVHcloud task {request.task_id}",
        REMOVAL.name: f"the removal of `{restore_name(request)}`",
    }[operation.name]


#: After a refusal: what is left, and what people can do about it.
_AFTER_REFUSAL = {
    MIGRATION.name: "Nothing was started; file a new request once the cause is fixed.",
    RELAUNCH.name: "The task is still in `error`; *Retry* is offered again once the cause is fixed.",
    REMOVAL.name: (
        "The copy is still there. A datastore that still holds VMs cannot be removed: clone or "
        "unregister them first."
    ),
}

#: A call in doubt: what people settle it with, once they have checked at OVHcloud.
_SETTLED_BY = {
    MIGRATION.name: "an approver adopts the right task from the card, or closes the request with "
    "*Close: not started* (or `/pcc cancel {id}`) when nothing started.",
    RELAUNCH.name: "a person closes the doubt with *Close: not started* when the task was not relaunched.",
    REMOVAL.name: "an approver adopts the right task from the card, or closes the doubt with "
    "*Close: not started* when the removal did not start.",
}


def _after_refusal(operation: Operation) -> str:
    own = words_of(operation)
    return own.after_refusal if own is not None else _AFTER_REFUSAL[operation.name]


def _settled_by(operation: Operation) -> str:
    own = words_of(operation)
    return own.settled_by if own is not None else _SETTLED_BY[operation.name]


def refused(request: MigrationRequest, operation: Operation, error: OvhApiError) -> str:
    """OVHcloud refused a mutating call: nothing ran."""
    return (
        f":x: Request #{request.id}: OVHcloud refused {_call(request, operation)}: {esc(error)}. "
        f"{_after_refusal(operation)}"
    )


def in_doubt(request: MigrationRequest, operation: Operation, error: OvhApiError | None = None) -> str:
    """A mutating call whose outcome is unknown: an unclear answer (``error``), or none recorded."""
    answer = (
        f"got no clear answer ({esc(error)})"
        if error is not None
        else "was never answered on record (pcc-bot stopped, or could not store the answer)"
    )
    return (
        f":warning: Request #{request.id} needs attention: {_call(request, operation)} {answer}. It may "
        f"have run. pcc-bot will not send it again; it keeps {checking(request, operation)}. "
        f"Check at OVHcloud before doing anything by hand: " + _settled_by(operation).format(id=request.id)
    )


def adopted(request: MigrationRequest, task_id: int, actor: str) -> str:
    who = "pcc-bot found" if actor == "pcc-bot" else f"<@{actor}> chose"
    return f"{who} OVHcloud task {task_id} for request #{request.id}; tracking it now."


def task_meaning(state: str | None) -> str:
    """A task state as people read it, with the API's own word."""
    if not state:
        return "not read yet"
    meaning = TASK_STATE_MEANINGS.get(state)
    return f"{meaning} (`{state}`)" if meaning else f"`{esc(state)}` (a state pcc-bot does not know)"


def checking(request: MigrationRequest, operation: Operation | None = None) -> str:
    """What the poller reads to settle a call in doubt (shown on the card, by `/pcc status` and in the
    notice of the doubt): ``operation`` is the call's, by default the one the request is in doubt about."""
    spec = request.spec
    since = request.called_at or request.decided_at
    after = f" created after {since:%Y-%m-%d %H:%M} UTC" if since else ""
    operation = operation or request.in_doubt
    own = words_of(operation) if operation is not None else None
    if own is not None:
        return own.checking(request, after)
    if operation is RELAUNCH:
        return f"checking task {request.task_id}: relaunched once it leaves `error`"
    if operation is REMOVAL:
        filer = f" (filer {request.copy_filer_id})" if request.copy_filer_id is not None else ""
        return (
            f"checking whether `{restore_name(request)}`{filer} is gone from datacenter "
            f"{spec.dest_datacenter_id}, and for its `removeFiler` task{after}"
        )
    return (
        f"checking the tasks of {spec.dest_service} datacenter {spec.dest_datacenter_id} for a "
        f"`{request.route}` task on filer {spec.filer_id}{after}"
    )


def unreadable(
    request: MigrationRequest, task_id: int | None, query_ids: list[str], found: list[Task]
) -> str:
    """A tracked task OVHcloud has not let pcc-bot read for several polls in a row."""
    seen = (
        "Tasks of that datastore found on the destination:\n" + "\n".join(f"• {task_line(t)}" for t in found)
        if found
        else "No task of that datastore shows in the destination's task list either."
    )
    return (
        f":grey_question: Request #{request.id}: OVHcloud task {task_id} could not be read for "
        f"{len(query_ids)} polls in a row (OVH query ids {', '.join(esc(q) for q in query_ids)}). "
        f"pcc-bot keeps reading it. {seen} Give OVHcloud support the task id and the query ids."
    )


def task_line(task: Task) -> str:
    """One candidate task, as people compare it with what they see at OVHcloud."""
    filer = task.filer_id if task.filer_id is not None else "not given"
    started_at = f" · started {task.executed_at:%Y-%m-%d %H:%M} UTC" if task.executed_at else ""
    return f"task {task.task_id} `{esc(task.name or '?')}` {esc(task.state)} · filer {filer}{started_at}"


def needs_decision(request: MigrationRequest, candidates: tuple[Task, ...]) -> str:
    """A call in doubt the bot cannot settle by itself: what it found, and what people can do."""
    if candidates:
        listed = "\n".join(f"• {task_line(t)}" for t in candidates)
        found = f"These tasks might be it, but none is provably this request's:\n{listed}\n"
    else:
        found = "No task on the destination matches it yet.\n"
    return (
        f":raising_hand: Request #{request.id} needs a decision ({request.state}). {found}"
        f"An approver who checked at OVHcloud picks *Adopt task N*, or *Close: not started* when "
        f"nothing started. pcc-bot keeps reading meanwhile."
    )


def thread_link(request: MigrationRequest) -> str:
    """A link to the request's thread (Slack's permalink format), or its number when not posted yet."""
    if request.card_channel and request.card_ts:
        url = f"https://slack.com/archives/{request.card_channel}/p{request.card_ts.replace('.', '')}"
        return f"<{url}|its thread>"
    return f"`/pcc status {request.id}`"


def reminder(request: MigrationRequest) -> str:
    return (
        f":bell: Request #{request.id} still waits for an approver; it expires at "
        f"{request.expires_at:%Y-%m-%d %H:%M} UTC. Approvers: use the buttons on the card above."
    )


def stalled(request: MigrationRequest, task: Task, since: datetime) -> str:
    progress = "?" if task.progress is None else f"{task.progress}%"
    own = words_of(request.launch)
    about = (
        own.about(request)
        if own is not None
        else f"copy of filer {request.spec.filer_id} from {request.spec.source_service}"
    )
    return (
        f":hourglass: Request #{request.id} may be stalled: OVHcloud task {task.task_id} on "
        f"{request.spec.dest_service} has stayed at {progress} (`{esc(task.state)}`) since "
        f"{since:%Y-%m-%d %H:%M} UTC. Tell OVHcloud support: PCC {request.spec.dest_service}, "
        f"datacenter {request.spec.dest_datacenter_id}, task {task.task_id}, {esc(about)}."
    )


def removed(request: MigrationRequest) -> str:
    return f":white_check_mark: The copy `{restore_name(request)}` of request #{request.id} is removed."


def removal_failed(request: MigrationRequest, task: Task) -> str:
    return (
        f":x: Removing `{restore_name(request)}` failed: OVHcloud task {task.task_id} ended "
        f"`{esc(task.state)}`. The copy is still there; tell OVHcloud support the task id."
    )


def closed(request: MigrationRequest, user: str, operation: str) -> str:
    own = words_of(request.launch) if operation == request.launch.name else None
    after = (
        own.after_close(request)
        if own is not None
        else {
            "migration": f"The filer {request.spec.filer_id} can be requested again.",
            "relaunch": "The task can be relaunched again with *Retry*.",
            "removal": "The copy is still there; *Remove copy* is offered again.",
        }[operation]
    )
    return (
        f"Request #{request.id} closed by <@{user}>, who checked at OVHcloud that the {operation} call "
        f"started nothing. {after}"
    )
