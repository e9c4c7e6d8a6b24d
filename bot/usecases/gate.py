"""The one rule every mutating OVHcloud call follows (the migration POST, resetTaskState, filer remove).

Check who (done by the caller), compare-and-set ``origin -> calling``, call once, record the outcome,
tell the chat. Only the winner of the compare-and-set calls; nothing here ever sends a call again:

- an answer with a task: ``calling -> success``;
- an explicit refusal (a 4xx; the clock refusals were already resent once by the gateway, as the
  authentication layer did not run them): ``calling -> refused``, with the reason;
- an ambiguous outcome (timeout, lost connection, 5xx, invalid answer): ``calling -> in_doubt``, which
  the poller resolves by reading only;
- the call not sent at all (no budget place in time, the bot stopping, or pcc-bot paused):
  ``calling -> origin``, and the caller is told (a plan's dispatch resumes it later);
- pcc-bot paused (`/pcc pause` on any replica, or PCC_READ_ONLY=1): asked before the compare-and-set
  (nothing moves) and again just before the call (the decision goes back): ``Paused`` is raised;
- the process stopping mid-call leaves ``calling``; the poller moves it to ``in_doubt`` once the call
  can no longer be running (``ServiceSettings.call_timeout``).

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.domain import (
    BudgetSpent,
    MigrationRequest,
    NoticeDraft,
    NoticeKind,
    Operation,
    OvhApiError,
    Paused,
    RequestFields,
    StartedTask,
)
from bot.support.i18n import _
from bot.usecases import messages
from bot.usecases.chat import ChatDesk
from bot.usecases.pause import Switch
from bot.usecases.ports import Change, Clock
from bot.usecases.records import BOT


@dataclass(frozen=True)
class Call:
    """One mutating call as the gate makes it: ``send`` makes it (once); its answer is recorded in the
    audit as ``action`` (with ``detail``) and sets the fields ``records`` gives for the task. The gate
    tells the thread (`messages.called`), and words a refusal or an unclear answer likewise."""

    send: Callable[[], StartedTask]
    action: str
    detail: str
    records: Callable[[StartedTask], RequestFields]


def task_started(task: StartedTask) -> RequestFields:
    """What a call that starts a task (a copy, a restore) records: the task, not begun yet."""
    return {"task_id": task.task_id, "task_state": "todo", "progress": 0, "query_id": task.query_id}


class Gate:
    def __init__(self, *, chat: ChatDesk, clock: Clock, switch: Switch) -> None:
        self._chat = chat
        self._clock = clock
        self._switch = switch

    def run(self, request: MigrationRequest, operation: Operation, decision: Change, call: Call) -> bool:
        """Returns False when another click won the compare-and-set (nothing was called). Raises
        ``Paused`` (nothing sent, the request where it was) while pcc-bot is paused."""
        what = _("the {operation} of request #{id}", operation=operation.name, id=request.id)
        self._switch.check(what)  # before the compare-and-set: nothing moves
        now = self._clock.now()
        fields: RequestFields = {
            **(decision.fields or {}),
            "called_at": now,
            "in_doubt_since": None,
            "candidates": (),
        }
        decided = replace(decision, fields=fields)
        if not self._chat.move(request, operation.origin, operation.calling, decided, deliver=False):
            return False
        pause = self._switch.current()  # paused meanwhile, on any replica: the decision goes back
        if pause is not None:
            self._chat.move(
                request,
                operation.calling,
                operation.origin,
                Change(actor=BOT, action=f"{operation.name} not sent", detail=str(pause.words())),
            )
            raise Paused(pause, what)
        try:
            started = call.send()
        except BudgetSpent as error:  # nothing was sent: the decision goes back to where it was
            self._chat.move(
                request,
                operation.calling,
                operation.origin,
                Change(actor=BOT, action=f"{operation.name} not sent", detail=str(error)),
            )
            raise
        except OvhApiError as error:
            self._record_failure(request, operation, error)
            return True
        told = NoticeDraft(
            NoticeKind.THREAD,
            f"{operation.name}-called-{now:%Y%m%dT%H%M%S%f}",
            request.channel,
            messages.called(request, operation, started, decision.actor),
        )
        success = Change(
            actor=BOT,
            action=call.action,
            detail=call.detail,
            query_id=started.query_id,
            fields=call.records(started),
            notices=[told],
        )
        self._chat.move(request, operation.calling, operation.success, success)
        return True

    def _record_failure(self, request: MigrationRequest, operation: Operation, error: OvhApiError) -> None:
        outcome = "in-doubt" if error.ambiguous else "refused"
        key = f"{operation.name}-{outcome}-{self._clock.now():%Y%m%dT%H%M%S%f}"
        fields: RequestFields = {"last_error": str(error)}
        if error.ambiguous:
            fields["in_doubt_since"] = self._clock.now()
        target = operation.in_doubt if error.ambiguous else operation.refused
        action = f"{operation.name} outcome unknown" if error.ambiguous else f"{operation.name} refused"
        explain = messages.in_doubt if error.ambiguous else messages.refused
        self._chat.move(
            request,
            operation.calling,
            target,
            Change(
                actor=BOT,
                action=action,
                detail=str(error),
                query_id=error.query_id,
                fields=fields,
                notices=self._chat.thread_and_incident(request, key, explain(request, operation, error)),
            ),
        )
