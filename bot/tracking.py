"""Following what runs at OVHcloud: the poller's tick, task tracking, stalls, removals, and the
reconciliation of requests a stopped bot left between approval and answer.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot import logs, messages
from bot.chat import BOT, ChatDesk
from bot.domain import (
    TASK_DONE,
    TASK_FAILED_STATES,
    Conflict,
    CopyStatus,
    MigrationRequest,
    NoticeButton,
    NoticeDraft,
    NoticeKind,
    PccBotError,
    State,
    Task,
)
from bot.polling import PollPlanner
from bot.ports import Change, Clock, OvhGateway, Repository
from bot.settings import ServiceSettings

log = logging.getLogger(__name__)


class Tracker:
    """What the scheduler runs: one tick of polling, and the reconciliation at start-up."""

    def __init__(
        self,
        *,
        gateway: OvhGateway,
        repo: Repository,
        chat: ChatDesk,
        settings: ServiceSettings,
        clock: Clock,
        expire: Callable[[MigrationRequest], None],
    ) -> None:
        self._ovh = gateway
        self._repo = repo
        self._chat = chat
        self._settings = settings
        self._clock = clock
        self._expire = expire  # raises Conflict when it expired the request
        self._planner = PollPlanner(settings.poll_period, settings.poll_budget_per_minute, clock.now())
        self._searched: dict[int, datetime] = {}  # needs_attention request -> last task search

    def poll_once(self) -> None:
        """One scheduler tick: expire, track replicating tasks, look for lost tasks, send notices."""
        now = self._clock.now()
        for request in self._repo.in_states([State.PENDING]):
            try:
                self._expire(request)
            except Conflict:
                log.info("request #%d expired", request.id)
                continue
            if now >= request.created_at + self._settings.approval_ttl / 2:
                self._repo.queue_notice(
                    request.id,
                    NoticeDraft(NoticeKind.THREAD, "reminder", request.channel, messages.reminder(request)),
                    now,
                )
        replicating = {r.id: r for r in self._repo.in_states([State.REPLICATING])}
        calls = {request_id: 2 if r.uses_copy_filer else 1 for request_id, r in replicating.items()}
        for request_id in self._planner.due(list(replicating), self._clock.now(), cost=calls.__getitem__):
            request = replicating[request_id]
            try:
                with logs.context(request_id=request.id):
                    self._track(request)
            except PccBotError as error:
                log.warning("request #%d: could not read its task: %s", request.id, error)
        for request in self._repo.in_states([State.REMOVING]):
            try:
                self._track_removal(request)
            except PccBotError as error:
                log.warning("request #%d: could not read the removal task: %s", request.id, error)
        for request in self._repo.in_states([State.NEEDS_ATTENTION]):
            last = self._searched.get(request.id)
            if last is not None and self._clock.now() - last < self._settings.poll_period:
                continue
            self._searched[request.id] = self._clock.now()
            try:
                self._adopt(request, State.NEEDS_ATTENTION)
            except PccBotError as error:
                log.warning("request #%d: task search failed: %s", request.id, error)
        self._chat.deliver()
        self._chat.refresh_board()

    def reconcile(self) -> None:
        """On start: a request left `approved` was interrupted between the approval and the API's
        answer. Adopt its task if OVHcloud has one, else mark it needs_attention. Never re-POST."""
        for request in self._repo.in_states([State.APPROVED]):
            try:
                adopted = self._adopt(request, State.APPROVED)
            except PccBotError as error:
                log.warning("request #%d: task search failed: %s", request.id, error)
                adopted = False
            if not adopted:
                self._chat.move(
                    request,
                    State.APPROVED,
                    State.NEEDS_ATTENTION,
                    Change(
                        actor=BOT,
                        action="interrupted",
                        detail="no task found after restart",
                        notices=self._chat.thread_and_incident(
                            request, "interrupted", messages.interrupted(request)
                        ),
                    ),
                )
        self._chat.deliver()

    def _track(self, request: MigrationRequest) -> None:
        assert request.task_id is not None
        task = self._ovh.get_task(request.spec.dest_service, request.task_id)
        if task.state == TASK_DONE:
            self._chat.move(
                request,
                State.REPLICATING,
                State.DONE,
                Change(
                    actor=BOT,
                    action="replication done",
                    detail=f"task {task.task_id}",
                    fields={"task_state": task.state, "progress": 100},
                    notices=self._chat.thread_and_incident(
                        request, "done", messages.completed(request), NoticeButton.REMOVE_COPY
                    ),
                ),
            )
        elif task.state in TASK_FAILED_STATES:
            self._chat.move(
                request,
                State.REPLICATING,
                State.FAILED,
                Change(
                    actor=BOT,
                    action="replication failed",
                    detail=f"task {task.task_id} {task.state}",
                    fields={
                        "task_state": task.state,
                        "progress": task.progress,
                        "last_error": task.description,
                    },
                    notices=self._chat.thread_and_incident(
                        request,
                        f"failed-{request.retries}",
                        messages.failed(request, task),
                        NoticeButton.RETRY if task.state == "error" else None,
                    ),
                ),
            )
        else:
            self._observe_progress(request, task, self._copy_status(request))

    def _copy_status(self, request: MigrationRequest) -> CopyStatus | None:
        if not request.uses_copy_filer:
            return None
        try:
            return self._ovh.copy_status(request.spec)
        except PccBotError as error:  # the task still says enough; progress waits for the next poll
            log.warning("request #%d: copyFilerStatus unreadable: %s", request.id, error)
            return None

    def _observe_progress(self, request: MigrationRequest, task: Task, copy: CopyStatus | None) -> None:
        """Record a reading of a running task; edit the card when it moved (or to refresh "last
        check"); warn once per stall when it has not moved for PCC_STALL_SECONDS."""
        now = self._clock.now()
        progress = copy.progress if copy is not None and copy.progress is not None else task.progress
        moved = (task.state, progress) != (request.task_state, request.progress)
        fields: dict[str, object] = {
            "task_state": task.state,
            "progress": progress,
            "last_check_at": now.isoformat(),
        }
        if copy is not None and copy.transferred is not None:
            fields["transferred"] = copy.transferred
        self._planner.observed(request.id, progress, now)
        if moved or request.progress_changed_at is None:
            fields["progress_changed_at"] = now.isoformat()
        self._repo.update_fields(request.id, fields, now)
        stale_card = (
            request.card_updated_at is None or now - request.card_updated_at >= self._settings.card_refresh
        )
        if moved or stale_card:
            self._chat.refresh_card(request.id)
        still_since = request.progress_changed_at
        if not moved and still_since is not None and now - still_since >= self._settings.stall_after:
            text = messages.stalled(request, task, still_since)
            for draft in self._chat.thread_and_incident(request, f"stall-{still_since.isoformat()}", text):
                self._repo.queue_notice(request.id, draft, now)

    def _track_removal(self, request: MigrationRequest) -> None:
        if request.removal_task_id is None:
            return  # the bot stopped before storing the task: the removal shows on the PCC's tasks
        task = self._ovh.get_task(request.spec.dest_service, request.removal_task_id)
        if task.state == TASK_DONE:
            self._chat.move(
                request,
                State.REMOVING,
                State.REMOVED,
                Change(
                    actor=BOT,
                    action="copy removed",
                    detail=f"task {task.task_id}",
                    notices=[
                        NoticeDraft(NoticeKind.THREAD, "removed", request.channel, messages.removed(request))
                    ],
                ),
            )
        elif task.state in TASK_FAILED_STATES:
            self._chat.move(
                request,
                State.REMOVING,
                State.DONE,
                Change(
                    actor=BOT,
                    action="copy removal failed",
                    detail=f"task {task.task_id} {task.state}",
                    notices=[
                        NoticeDraft(
                            NoticeKind.THREAD,
                            f"removal-failed-{task.task_id}",
                            request.channel,
                            messages.removal_failed(request, task),
                        )
                    ],
                ),
            )

    def _adopt(self, request: MigrationRequest, current: State) -> bool:
        since = (request.decided_at or request.created_at) - timedelta(minutes=5)
        tasks = self._ovh.find_tasks(request.spec.dest_service, request.spec.dest_datacenter_id, since)
        task = _matching_task(tasks, request.spec.filer_id)
        if task is None:
            return False
        self._chat.move(
            request,
            current,
            State.REPLICATING,
            Change(
                actor=BOT,
                action="task adopted",
                detail=f"task {task.task_id} ({task.name})",
                fields={"task_id": task.task_id, "task_state": task.state, "progress": task.progress},
                notices=[
                    NoticeDraft(
                        NoticeKind.THREAD,
                        f"adopted-{task.task_id}",
                        request.channel,
                        messages.adopted(request, task),
                    )
                ],
            ),
        )
        return True


def _matching_task(tasks: list[Task], filer_id: int) -> Task | None:
    """The task a lost migration call created: same filer id, or the only filer-copy task."""
    same_filer = [t for t in tasks if t.filer_id == filer_id]
    if len(same_filer) == 1:
        return same_filer[0]
    named = [t for t in tasks if t.filer_id is None and "filer" in t.name.lower()]
    return named[0] if len(named) == 1 else None
