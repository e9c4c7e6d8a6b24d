"""Texts of the notices posted in a request's thread and in the incident room (mrkdwn, no I/O).

A notice is stored untranslated (``stored``: its msgid and parameters) and rendered in the channel's
language when the outbox delivers it; the helpers that cards share (``checking``, ``task_line``,
``task_meaning``) return a ``Text`` the card renders in its reader's language. Moments are Slack date
tokens with their UTC fallback."""

from __future__ import annotations

from datetime import datetime

from bot.domain import (
    RELAUNCH,
    REMOVAL,
    MigrationRequest,
    NoticeButton,
    Operation,
    StartedTask,
    Task,
)
from bot.domain.restore import words_of
from bot.support.datetoken import date_token
from bot.support.i18n import Param, Text, _, stored
from bot.support.mrkdwn import esc
from bot.usecases.doubt_messages import (
    adopted,
    checking,
    in_doubt,
    needs_decision,
    refused,
    restore_name,
    task_line,
    task_meaning,
    unreadable,
)

__all__ = [
    "adopted",
    "checking",
    "in_doubt",
    "needs_decision",
    "refused",
    "restore_name",
    "task_line",
    "task_meaning",
    "unreadable",
]

#: Appended to a request's call when OVHcloud's API description did not list its route at filing.
ROUTE_ABSENT = " (route absent from OVHcloud's API description)"
#: What the card then says, before anyone approves.
ROUTE_ABSENT_SAID = _(
    ":warning: OVHcloud's published API description no longer lists this route: approving will very "
    "probably fail (404). `pcc-bot doctor` checks every route."
)


def _where(request: MigrationRequest) -> Text:
    spec = request.spec
    return _(
        "filer {name} ({id}) of {source} → {dest} datacenter {dc} ({zone})",
        name=f"*{esc(request.filer_name)}*",
        id=spec.filer_id,
        source=spec.source_service,
        dest=spec.dest_service,
        dc=spec.dest_datacenter_id,
        zone=esc(request.dest_zone),
    )


def called(request: MigrationRequest, operation: Operation, task: StartedTask, user: str) -> str:
    """A mutating call answered with its task: what runs now, in the request's thread."""
    own = words_of(operation)
    if own is not None:
        return stored(own.called(request, task.task_id, task.query_id))
    ids: dict[str, Param] = {"id": request.id, "task": str(task.task_id)}
    if operation is RELAUNCH:
        return stored(
            _(
                ":arrows_counterclockwise: {who} relaunched OVHcloud task {task} of request #{id} "
                "(resetTaskState); it is tracked again as before.",
                who=f"<@{user}>",
                **ids,
            )
        )
    if operation is REMOVAL:
        return stored(
            _(
                ":wastebasket: {who} approved removing {copy}, the copy of request #{id}, from {dest} "
                "datacenter {dc} (OVHcloud task {task}).",
                who=f"<@{user}>",
                copy=f"`{restore_name(request)}`",
                dest=request.spec.dest_service,
                dc=request.spec.dest_datacenter_id,
                **ids,
            )
        )
    query = _(" (OVH query id {query})", query=esc(task.query_id)) if task.query_id else ""
    return stored(
        _(
            "Replication started for request #{id}: {where}. OVHcloud task {task}{query}. Progress is "
            "shown on the card; completion will be announced here.",
            where=_where(request),
            query=query,
            **ids,
        )
    )


def completed(request: MigrationRequest) -> str:
    own = words_of(request.launch)
    if own is not None:
        return stored(own.completed(request))
    return stored(
        _(
            ":white_check_mark: Request #{id} done: {where}.\n"
            "The copy is mounted as datastore {copy} on every host of datacenter {dc}. It is "
            "*read-only*.\n"
            "Next: register the VMs from {copy} in the vSphere inventory, then *clone each VM to a "
            "writable datastore before powering it on* (powering on from the copy fails with "
            '"Unable to write the VMX file"). Once every VM is cloned, an approver removes the copy '
            "with *Remove copy*. (OVHcloud task {task})",
            id=request.id,
            where=_where(request),
            copy=f"`{restore_name(request)}`",
            dc=request.spec.dest_datacenter_id,
            task=str(request.task_id),
        )
    )


def done_button(request: MigrationRequest) -> NoticeButton | None:
    """What the notice of a finished request offers: the copy's removal, unless its operation says."""
    own = words_of(request.launch)
    return own.done_button if own is not None else NoticeButton.REMOVE_COPY


def failed(request: MigrationRequest, task: Task) -> str:
    own = words_of(request.launch)
    if own is not None:
        return stored(own.failed(request, task))
    retry = (
        _("An approver can relaunch it with *Retry* on the card (resetTaskState).")
        if task.state == "error"
        else ""
    )
    return stored(
        _(
            ":x: Request #{id} failed: {where}. OVHcloud task {task} ended {state}{detail}. Give "
            "OVHcloud support the task id {task}.{retry}",
            id=request.id,
            where=_where(request),
            task=str(task.task_id),
            state=f"`{esc(task.state)}`",
            detail=f": {esc(task.description)}" if task.description else "",
            retry=_(" {said}", said=retry) if retry else "",
        )
    )


def relaunch_confirmed(request: MigrationRequest, task: Task) -> str:
    return stored(
        _(
            ":arrows_counterclockwise: OVHcloud task {task} of request #{id} was relaunched (it is "
            "{state} now); tracked again as before.",
            task=str(task.task_id),
            id=request.id,
            state=f"`{esc(task.state)}`",
        )
    )


def thread_link(request: MigrationRequest) -> str:
    """A link to the request's thread, in English (``thread_said`` for a reader's language)."""
    return str(thread_said(request))


def thread_said(request: MigrationRequest) -> Text:
    """A link to the request's thread (Slack's permalink format), or its number when not posted yet."""
    if request.card_channel and request.card_ts:
        url = f"https://slack.com/archives/{request.card_channel}/p{request.card_ts.replace('.', '')}"
        return _("<{url}|its thread>", url=url)
    return Text("{command}", {"command": f"`/pcc status {request.id}`"})


def reminder(request: MigrationRequest) -> str:
    return stored(
        _(
            ":bell: Request #{id} still waits for an approver; it expires at {at}. Approvers: use the "
            "buttons on the card above.",
            id=request.id,
            at=date_token(request.expires_at),
        )
    )


def stalled(request: MigrationRequest, task: Task, since: datetime) -> str:
    own = words_of(request.launch)
    about = (
        own.about(request)
        if own is not None
        else _(
            "copy of filer {filer} from {source}",
            filer=request.spec.filer_id,
            source=request.spec.source_service,
        )
    )
    return stored(
        _(
            ":hourglass: Request #{id} may be stalled: OVHcloud task {task} on {dest} has stayed at "
            "{progress} ({state}) since {since}. Tell OVHcloud support: PCC {dest}, datacenter {dc}, task "
            "{task}, {about}.",
            id=request.id,
            task=str(task.task_id),
            dest=request.spec.dest_service,
            progress="?" if task.progress is None else f"{task.progress}%",
            state=f"`{esc(task.state)}`",
            since=date_token(since),
            dc=request.spec.dest_datacenter_id,
            about=about,
        )
    )


def removed(request: MigrationRequest) -> str:
    return stored(
        _(
            ":white_check_mark: The copy {copy} of request #{id} is removed.",
            copy=f"`{restore_name(request)}`",
            id=request.id,
        )
    )


def removal_failed(request: MigrationRequest, task: Task) -> str:
    return stored(
        _(
            ":x: Removing {copy} failed: OVHcloud task {task} ended {state}. The copy is still there; "
            "tell OVHcloud support the task id.",
            copy=f"`{restore_name(request)}`",
            task=str(task.task_id),
            state=f"`{esc(task.state)}`",
        )
    )


def closed(request: MigrationRequest, user: str, operation: str) -> str:
    own = words_of(request.launch) if operation == request.launch.name else None
    after: Text | str
    if own is not None:
        after = own.after_close(request)
    elif operation == "migration":
        after = _("The filer {filer} can be requested again.", filer=request.spec.filer_id)
    elif operation == "relaunch":
        after = _("The task can be relaunched again with *Retry*.")
    else:
        after = _("The copy is still there; *Remove copy* is offered again.")
    return stored(
        _(
            "Request #{id} closed by {who}, who checked at OVHcloud that the {operation} call started "
            "nothing. {after}",
            id=request.id,
            who=f"<@{user}>",
            operation=operation,
            after=after,
        )
    )
