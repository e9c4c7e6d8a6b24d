"""Texts of the notices posted in a request's thread and in the incident room (mrkdwn, no I/O).

A notice is stored untranslated (``stored``: its msgid and parameters) and rendered in the channel's
language when the outbox delivers it; the helpers that cards share (``checking``, ``task_line``,
``task_meaning``) return a ``Text`` the card renders in its reader's language. Moments are Slack date
tokens with their UTC fallback."""

from __future__ import annotations

from datetime import datetime

from bot.domain import MigrationRequest, NoticeButton, Operation, StartedTask, Task
from bot.domain.operations import behaviour_of, launch_of
from bot.domain.operations.migration import ROUTE_ABSENT, ROUTE_ABSENT_SAID
from bot.support.datetoken import date_token
from bot.support.i18n import Text, _, stored
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
    "ROUTE_ABSENT",
    "ROUTE_ABSENT_SAID",
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


def called(request: MigrationRequest, operation: Operation, task: StartedTask, user: str) -> str:
    """A mutating call answered with its task: what runs now, in the request's thread."""
    return stored(behaviour_of(operation).called(request, task, user))


def completed(request: MigrationRequest) -> str:
    return stored(launch_of(request).completed(request))


def done_button(request: MigrationRequest) -> NoticeButton | None:
    """What the notice of a finished request offers (the copy's removal, unless its operation says)."""
    return launch_of(request).done_button


def failed(request: MigrationRequest, task: Task) -> str:
    return stored(launch_of(request).failed(request, task))


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
    about = launch_of(request).about(request)
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


def closed(request: MigrationRequest, user: str, operation: Operation) -> str:
    return stored(
        _(
            "Request #{id} closed by {who}, who checked at OVHcloud that the {operation} call started "
            "nothing. {after}",
            id=request.id,
            who=f"<@{user}>",
            operation=operation.name,
            after=behaviour_of(operation).after_close(request),
        )
    )
