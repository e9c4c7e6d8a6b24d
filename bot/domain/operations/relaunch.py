"""A task that ended in `error` relaunched (resetTaskState, Retry): its words and how a doubt about it
is settled (its task is known: read it). The call is `Decisions.retry`."""

from __future__ import annotations

from bot.domain.inventory import StartedTask
from bot.domain.operations.base import Behaviour, Reading
from bot.domain.request import MigrationRequest, NoticeButton
from bot.support.i18n import Param, Text, _


class Relaunch(Behaviour):
    in_doubt_meaning = _("resetTaskState got no clear answer: the task may have been relaunched")
    after_refusal = _("The task is still in `error`; *Retry* is offered again once the cause is fixed.")
    reading = Reading.OWN_TASK
    adoptable = False
    button = NoticeButton.RETRY

    def offered(self, request: MigrationRequest) -> bool:
        return request.can_retry

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
