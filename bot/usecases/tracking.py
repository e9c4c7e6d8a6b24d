"""Following what runs at OVHcloud: the poller's tick, task tracking, stalls, removals, and the
reconciliation of requests a stopped bot left between approval and answer.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.domain import (
    CLOCK_MARGIN,
    IN_DOUBT_STATES,
    RELAUNCH,
    TASK_DONE,
    TASK_FAILED_STATES,
    CopyStatus,
    Filer,
    MigrationRequest,
    NoticeDraft,
    NoticeKind,
    OvhApiError,
    PccBotError,
    RequestFields,
    State,
    Task,
    task_read,
)
from bot.domain.estimate import remember
from bot.domain.operations import behaviour_of
from bot.domain.polling import PollPlanner
from bot.support import logs, waits
from bot.usecases import messages
from bot.usecases.doubt import MAX_CANDIDATES, DoubtResolver
from bot.usecases.family import Ports
from bot.usecases.ports import Change
from bot.usecases.records import BOT
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import NoticeStore, RequestStore

log = logging.getLogger(__name__)


class Tracker:
    """What the scheduler runs: one tick of polling, and the reconciliation at start-up."""

    def __init__(
        self,
        ports: Ports,
        *,
        requests: RequestStore,
        notices: NoticeStore,
        settings: ServiceSettings,
        doubt: DoubtResolver,
        expire: Callable[[MigrationRequest], bool],
    ) -> None:
        """``expire`` records a pending request past its TTL as expired (True when it was due)."""
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests, self._notices = requests, notices
        self._settings = settings
        self.expire = expire
        self._planner = PollPlanner(settings.poll_period, settings.poll_budget_per_minute, self._clock.now())
        self._lists_tasks: dict[str, bool] = {}  # PCC -> its task list expands (False: read task by task)
        self._misses: dict[int, list[str]] = {}  # request -> query ids of the reads that failed in a row
        self._mounted: dict[tuple[str, int], list[Filer]] = {}  # this poll's reads of destination datastores
        self._doubt = doubt

    def poll_once(self) -> None:
        """One scheduler tick: expire, settle interrupted calls, then (within the poller's share of the
        budget) track tasks and resolve calls in doubt by reading; then send notices and the board."""
        now = self._clock.now()
        self._mounted = {}
        for request in self._requests.in_states([State.PENDING]):
            if request.plan_id is not None:
                continue  # approved with its plan, queued for its POST: the plan's dispatcher owns it
            if self.expire(request):
                log.info("request #%d expired", request.id)
                continue
            if now >= request.created_at + self._settings.approval_ttl / 2:
                self._notices.queue(
                    request.id,
                    NoticeDraft(NoticeKind.THREAD, "reminder", request.channel, messages.reminder(request)),
                    now,
                )
        self._doubt.settle_interrupted(at_start=False)
        self._follow(self._owned())
        self._chat.deliver()
        self._chat.refresh_board()

    def reconcile(self) -> None:
        """On start: a request left in a calling state was interrupted mid-call by the stop. It goes in
        doubt at once (never called again), and is resolved by reading like any call in doubt. On a
        database other replicas share, the call may be another's, still running: it goes in doubt once
        it cannot be running any more, as during a run."""
        self._doubt.settle_interrupted(at_start=not self._settings.shared_database)
        self._follow(self._owned())
        self._chat.deliver()

    def _owned(self) -> dict[int, MigrationRequest]:
        """Every request whose next step is the poller's: tasks to track and calls in doubt."""
        states = [State.REPLICATING, State.REMOVING, *sorted(IN_DOUBT_STATES)]
        return {
            r.id: r
            for r in self._requests.in_states(states)
            if r.state != State.REMOVING or r.removal_task_id is not None
        }

    def _follow(self, owned: dict[int, MigrationRequest]) -> None:
        """Read what is due within the poller's share of the budget. Where OVHcloud expands task lists,
        one fresh read per destination PCC (at most once a period) covers every task tracked there;
        elsewhere, and for calls in doubt, each request is read on its own schedule."""
        groups: dict[tuple[int | str, str], list[MigrationRequest]] = {}
        for request in owned.values():
            pcc = request.spec.dest_service
            if request.state in (State.REPLICATING, State.REMOVING) and self._lists_tasks.get(pcc, True):
                groups.setdefault(("pcc", pcc), []).append(request)
            else:
                groups[(request.id, request.state.value)] = [request]  # a new state is due at once
        due = self._planner.due(list(groups), self._clock.now(), cost=lambda k: _group_cost(k, groups[k]))
        ids_only = [key for key in due if key[0] == "pcc" and not self._follow_pcc(str(key[1]), groups[key])]
        for key in due:
            if key[0] != "pcc":
                self._follow_one(groups[key][0])
        if ids_only:  # those PCCs' requests, each on its own schedule, from this tick on
            self._follow({r.id: r for key in ids_only for r in groups[key]})

    def _follow_pcc(self, service: str, requests: list[MigrationRequest]) -> bool:
        """One expanded read of the PCC's tasks for every request tracked there; False when the route
        answered ids (remembered: each request is then read on its own schedule, within the budget)."""
        try:
            tasks = self._ovh.tasks_of(service)
        except PccBotError as error:
            log.warning("tasks of %s not read: %s", service, error)
            return True
        if tasks is None:
            self._lists_tasks[service] = False
            return False
        by_id = {t.task_id: t for t in tasks}
        for request in requests:
            task_id = request.task_id if request.state == State.REPLICATING else request.removal_task_id
            self._follow_one(request, by_id.get(task_id) if task_id is not None else None)
        return True

    def _follow_one(self, request: MigrationRequest, task: Task | None = None) -> None:
        try:
            with logs.context(request_id=request.id):
                if request.state == State.REPLICATING:
                    self._track(request, task)
                elif request.state == State.REMOVING:
                    self._track_removal(request, task)
                else:
                    self._doubt.resolve(request)
        except OvhApiError as error:
            self._missed(request, error)
        except PccBotError as error:
            log.warning("request #%d (%s): could not read OVHcloud: %s", request.id, request.state, error)
        else:
            self._misses.pop(request.id, None)

    def _missed(self, request: MigrationRequest, error: OvhApiError) -> None:
        """A tracked task that cannot be read three polls in a row is announced, with the query ids, and
        searched for by reading."""
        log.warning("request #%d (%s): could not read OVHcloud: %s", request.id, request.state, error)
        if request.state not in (State.REPLICATING, State.REMOVING):
            return
        misses = self._misses.setdefault(request.id, [])
        misses.append(error.query_id or "none")
        if len(misses) != UNREADABLE_POLLS:
            return
        spec = request.spec
        since = (request.called_at or request.decided_at or request.created_at) - CLOCK_MARGIN
        try:
            found = [
                t
                for t in self._ovh.find_tasks(spec.dest_service, spec.dest_datacenter_id, since)
                if t.filer_id in (spec.filer_id, request.copy_filer_id, None)
            ]
        except PccBotError as search_error:
            log.warning("request #%d: task search failed: %s", request.id, search_error)
            found = []
        task_id = request.task_id if request.state == State.REPLICATING else request.removal_task_id
        text = messages.unreadable(request, task_id, misses, found[:MAX_CANDIDATES])
        for draft in self._chat.thread_and_incident(request, f"unreadable-{task_id}-{len(misses)}", text):
            self._notices.queue(request.id, draft, self._clock.now())

    def _track(self, request: MigrationRequest, task: Task | None = None) -> None:
        assert request.task_id is not None
        task = task or self._ovh.get_task(request.spec.dest_service, request.task_id)
        if task.state == TASK_DONE:
            self._chat.move(
                request,
                State.REPLICATING,
                State.DONE,
                Change(
                    actor=BOT,
                    action="replication done",
                    detail=f"task {task.task_id}",
                    fields={"task_state": task.state, "progress": 100, **self._copy_of(request)},
                    notices=self._chat.thread_and_incident(
                        request,
                        "done",
                        messages.completed(request),
                        messages.done_button(request),
                        routine=True,
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
                    fields={**task_read(task), "last_error": task.description},
                    notices=self._chat.thread_and_incident(
                        request,
                        f"failed-{request.retries}",
                        messages.failed(request, task),
                        behaviour_of(RELAUNCH).button if task.state == "error" else None,
                    ),
                ),
            )
        else:
            self._observe_progress(request, task, self._copy_status(request))

    def _copy_of(self, request: MigrationRequest) -> RequestFields:
        """At a copy's completion, the id of the `restore-…` datastore it mounted: Remove copy acts on
        that id, never on the name two copies may share. The destination datacenter is read once per
        poll, whatever the completions (a plan's copies end together), and only when the budget has room
        at once. Nothing when it cannot be told now (no room, unreadable, not there, several of that
        name): Remove copy then finds it by name only if that name is unique there, else says so."""
        if messages.done_button(request) is None:  # its operation leaves no copy
            return {}
        spec, name = request.spec, messages.restore_name(request)
        where = (spec.dest_service, spec.dest_datacenter_id)
        if where not in self._mounted:
            self._mounted[where] = []
            try:
                with waits.impatient():  # only with room in the budget now: the poll never waits on it
                    self._mounted[where] = self._ovh.filers_now(*where)
            except PccBotError as error:
                log.warning("request #%d: %s not read at completion: %s", request.id, name, error)
        found = [f.filer_id for f in self._mounted[where] if f.name == name]
        return {"copy_filer_id": found[0]} if len(found) == 1 else {}

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
        fields: RequestFields = {
            "task_state": task.state,
            "progress": progress,
            "last_check_at": now,
            "progress_log": remember(request.progress_log, now, progress),
        }
        if copy is not None and copy.transferred is not None:
            fields["transferred"] = copy.transferred
        self._planner.observed((request.id, request.state.value), progress, now)
        if moved or request.progress_changed_at is None:
            fields["progress_changed_at"] = now
        self._requests.update_fields(request.id, fields, now)
        stale_card = (
            request.card_updated_at is None or now - request.card_updated_at >= self._settings.card_refresh
        )
        if moved or stale_card:
            self._chat.refresh_card(request.id)
        still_since = request.progress_changed_at
        if not moved and still_since is not None and now - still_since >= self._settings.stall_after:
            text = messages.stalled(request, task, still_since)
            for draft in self._chat.thread_and_incident(request, f"stall-{still_since.isoformat()}", text):
                self._notices.queue(request.id, draft, now)

    def _track_removal(self, request: MigrationRequest, task: Task | None = None) -> None:
        assert request.removal_task_id is not None and request.copy_filer_id is not None
        spec = request.spec
        task = task or self._ovh.get_filer_task(
            spec.dest_service, spec.dest_datacenter_id, request.copy_filer_id, request.removal_task_id
        )
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


#: Polls in a row a tracked task may be unreadable before people are told.
UNREADABLE_POLLS = 3


def _group_cost(key: tuple[int | str, str], requests: list[MigrationRequest]) -> int:
    """One expanded read for a PCC's tracked tasks (plus copyFilerStatus where it applies)."""
    if key[0] == "pcc":
        return 1 + sum(1 for r in requests if r.state == State.REPLICATING and r.uses_copy_filer)
    return _cost(requests[0])


#: Calls a poll of the request costs (a search reads a list, then its tasks).
def _cost(request: MigrationRequest) -> int:
    if request.state in IN_DOUBT_STATES:
        return 2 + len(request.candidates)
    return 2 if request.state == State.REPLICATING and request.uses_copy_filer else 1
