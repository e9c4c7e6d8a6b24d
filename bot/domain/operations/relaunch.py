"""A task that ended in `error` relaunched (resetTaskState, Retry): its words and how a doubt about it
is settled (its task is known: read it), and the call itself (`Decisions.decide` makes it)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.inventory import StartedTask
from bot.domain.operations.base import Behaviour, Mutation, Reading
from bot.domain.policy import PolicyOperation
from bot.domain.request import MigrationRequest, RequestFields
from bot.support.i18n import Param, Text, _


class Relaunch(Behaviour):
    in_doubt_meaning = _("resetTaskState got no clear answer: the task may have been relaunched")
    after_refusal = _("The task is still in `error`; *Retry* is offered again once the cause is fixed.")
    reading = Reading.OWN_TASK
    adoptable = False
    policy_name = PolicyOperation.RETRY
    button, label, word = "retry", _("Retry"), "retry"
    refusal = _("relaunch the task of")

    def offered(self, request: MigrationRequest) -> bool:
        return request.can_retry

    def doing(self, request_id: int) -> Text:
        return _("relaunching the task of request #{id}", id=request_id)

    def unavailable(self, request: MigrationRequest) -> str:
        task = f" (task {request.task_state})" if request.task_state else ""
        why = "only a task that ended in `error` can be relaunched"
        return f"request #{request.id} is {request.state}{task}: {why}"

    def mutation(self, request: MigrationRequest, user: str) -> Mutation:
        attempt = request.retries + 1
        reason = f"pcc-bot request #{request.id}: relaunch approved by {user} (attempt {attempt})"
        return Mutation(
            route="resetTaskState",
            params={"serviceName": request.spec.dest_service, "taskId": request.task_id or 0},
            body={"reason": reason},
            approved="retry approved",
            done="task relaunched",
            detail=f"resetTaskState on task {request.task_id}",
            fields={"retries": attempt},  # task_state stays `error` until OVHcloud says otherwise
        )

    def records(self, task: StartedTask, now: datetime) -> RequestFields:
        return {"task_state": "todo", "progress_changed_at": now, "last_error": None}

    def subject(self, request: MigrationRequest) -> str:
        return f"retry-{request.id}-{request.retries + 1}"  # one attempt: the next is approved anew

    def confirm(self, request: MigrationRequest) -> tuple[Text, Text]:
        said = _(
            "This calls resetTaskState once on OVHcloud task {task} of request #{id}; the copy resumes "
            "and is tracked again.",
            task=str(request.task_id),
            id=request.id,
        )
        return _("Relaunch the task?"), said

    def call(self, request: MigrationRequest) -> Text:
        return _("resetTaskState on OVHcloud task {task}", task=str(request.task_id))

    def called(self, request: MigrationRequest, task: StartedTask, user: str) -> Text:
        return _(
            ":arrows_counterclockwise: {who} relaunched OVHcloud task {task} of request #{id} "
            "(resetTaskState); it is tracked again as before.",
            who=f"<@{user}>",
            id=request.id,
            task=str(task.task_id),
        )

    def checking(self, request: MigrationRequest, since: Param) -> Text:
        return _("checking task {task}: relaunched once it leaves `error`", task=str(request.task_id))

    def settled_by(self, request: MigrationRequest) -> Text:
        return _("a person closes the doubt with *Close: not started* when the task was not relaunched.")

    def after_close(self, request: MigrationRequest) -> Text:
        return _("The task can be relaunched again with *Retry*.")


BEHAVIOUR = Relaunch()
