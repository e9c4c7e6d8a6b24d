"""Calls in doubt: a call whose answer never came (the bot stopped, the database refused it) or was
ambiguous is settled by reading only. A task is adopted only when it is provably the request's;
otherwise people choose from the candidates (Adopt task N, Close: not started).

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging

from bot.domain import (
    CLOCK_MARGIN,
    DECIDE,
    IN_FLIGHT_STATES,
    OPERATIONS,
    MigrationRequest,
    NoticeDraft,
    NoticeKind,
    Operation,
    RequestFields,
    State,
    Task,
    task_read,
)
from bot.domain.operations import Reading, behaviour_of, sort_tasks
from bot.usecases import messages
from bot.usecases.family import Ports
from bot.usecases.ports import Change
from bot.usecases.records import BOT
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import RequestStore

log = logging.getLogger(__name__)

#: At most this many candidate tasks are listed for a person (each with an Adopt button).
MAX_CANDIDATES = 8


def thread_notice(request: MigrationRequest, key: str, text: str) -> NoticeDraft:
    return NoticeDraft(NoticeKind.THREAD, key, request.channel, text)


class DoubtResolver:
    """Settles calls in doubt by reading, for the poller; adopts a task a person chose."""

    def __init__(self, ports: Ports, *, requests: RequestStore, settings: ServiceSettings) -> None:
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests = requests
        self._settings = settings

    def settle_interrupted(self, *, at_start: bool) -> None:
        """A call whose answer never came back (the bot stopped, or the database refused its outcome)
        is in doubt once it cannot be running any more."""
        now = self._clock.now()
        for operation in OPERATIONS:
            for request in self._requests.in_states([operation.calling]):
                if request.calling is not operation:
                    continue  # a state operations share: the request's own call says it
                if behaviour_of(operation).tracked(request):
                    continue  # its task is known: tracked
                since = request.called_at or request.decided_at or request.updated_at or request.created_at
                if not at_start and now - since < self._settings.call_timeout:
                    continue  # the call may still be running
                self._chat.move(
                    request,
                    operation.calling,
                    operation.in_doubt,
                    Change(
                        actor=BOT,
                        action="interrupted",
                        detail=f"{operation.name}: no answer recorded for the call made at {since:%H:%M:%S}",
                        fields={"in_doubt_since": now},
                        notices=self._chat.thread_and_incident(
                            request,
                            f"interrupted-{operation.name}-{since:%Y%m%dT%H%M%S}",
                            messages.in_doubt(request, operation),
                        ),
                    ),
                )

    def resolve(self, request: MigrationRequest) -> None:
        """Find out, by reading only, what a call in doubt did (the operation says what to read)."""
        operation = request.in_doubt
        if operation is None:
            return
        reading = behaviour_of(operation).reading
        if reading == Reading.OWN_TASK:
            self._resolve_relaunch(request)
            return
        spec = request.spec
        if reading == Reading.COPY_GONE:
            assert request.copy_filer_id is not None
            if not self._ovh.filer_exists(spec.dest_service, spec.dest_datacenter_id, request.copy_filer_id):
                self._chat.move(
                    request,
                    operation.in_doubt,
                    State.REMOVED,
                    Change(
                        actor=BOT,
                        action="copy removed",
                        detail=f"datastore {request.copy_filer_id} is gone from the datacenter",
                        fields={"in_doubt_since": None, "candidates": ()},
                        notices=[thread_notice(request, "removed", messages.removed(request))],
                    ),
                )
                return
            tasks = self._ovh.filer_tasks(spec.dest_service, spec.dest_datacenter_id, request.copy_filer_id)
        else:  # the destination's tasks since the call (a copy, a restore)
            since = (request.called_at or request.decided_at or request.created_at) - CLOCK_MARGIN
            tasks = self._ovh.find_tasks(spec.dest_service, spec.dest_datacenter_id, since)
        proven, candidates = sort_tasks(request, operation, tasks)
        held = self._requests.held_tasks(spec.dest_service, [t.task_id for t in candidates], request.id)
        twin = self._has_twin(request, operation)
        proven = [t for t in proven if t.task_id not in held and not twin]
        candidates = [t for t in candidates if t.task_id not in held]
        if len(proven) == 1 and self.adopt(request, operation, proven[0].task_id, actor=BOT, task=proven[0]):
            return
        self._ask_people(request, tuple(candidates[:MAX_CANDIDATES]))

    def _has_twin(self, request: MigrationRequest, operation: Operation) -> bool:
        """Another source PCC's request for a datastore with the same id, to the same datacenter, also
        called: a task cannot tell which of the two it copies, so people choose."""
        if not behaviour_of(operation).twins:
            return False
        spec = request.spec
        return any(
            other.id != request.id
            and other.spec.source_service != spec.source_service
            and (other.spec.filer_id, other.spec.dest_service, other.spec.dest_datacenter_id)
            == (spec.filer_id, spec.dest_service, spec.dest_datacenter_id)
            for other in self._requests.in_states(sorted(IN_FLIGHT_STATES))
        )

    def _ask_people(self, request: MigrationRequest, candidates: tuple[Task, ...]) -> None:
        """The bot does not guess: the card and the incident room list the candidates to adopt."""
        if tuple(t.task_id for t in candidates) == tuple(t.task_id for t in request.candidates):
            return
        ids = "-".join(str(t.task_id) for t in candidates) or "none"
        text = messages.needs_decision(request, candidates)
        self._chat.move(
            request,
            request.state,
            request.state,
            Change(
                actor=BOT,
                action="candidates listed",
                detail=", ".join(f"task {t.task_id} {t.name} {t.state}" for t in candidates) or "none",
                fields={"candidates": candidates},
                notices=self._chat.thread_and_incident(
                    request, f"decide-{request.state}-{ids}", text, DECIDE
                ),
            ),
        )

    def adopt(
        self,
        request: MigrationRequest,
        operation: Operation,
        task_id: int,
        *,
        actor: str,
        task: Task | None = None,
    ) -> bool:
        """Take ``task_id`` as what the call in doubt created. The database refuses a task another
        request holds (raises Conflict); False when the request is no longer in doubt."""
        name = f"task {task_id}" + (f" ({task.name}, {task.state})" if task else "")
        fields: RequestFields = {"in_doubt_since": None, "candidates": ()}
        fields[behaviour_of(operation).task_field] = task_id  # type: ignore[literal-required]
        if operation is request.launch:
            fields["task_state"] = task.state if task else "unknown"
            fields["progress"] = task.progress if task else None
        return self._chat.move(
            request,
            operation.in_doubt,
            operation.success,
            Change(
                actor=actor,
                action="task adopted",
                detail=name if actor == BOT else f"{name}, chosen by a person",
                fields=fields,
                notices=[
                    thread_notice(request, f"adopted-{task_id}", messages.adopted(request, task_id, actor))
                ],
            ),
        )

    def _resolve_relaunch(self, request: MigrationRequest) -> None:
        """resetTaskState in doubt: a task that left `error` was relaunched; one still in `error` may
        not have been, and a person decides (Close: not started)."""
        assert request.task_id is not None
        task = self._ovh.get_task(request.spec.dest_service, request.task_id)
        if task.state == "error":
            self._ask_people(request, (task,))
            return
        self._chat.move(
            request,
            State.RELAUNCH_IN_DOUBT,
            State.REPLICATING,
            Change(
                actor=BOT,
                action="relaunch confirmed",
                detail=f"task {task.task_id} is {task.state}",
                fields={
                    **task_read(task),
                    "progress_changed_at": self._clock.now(),
                    "in_doubt_since": None,
                    "candidates": (),
                    "last_error": None,
                },
                notices=[
                    thread_notice(
                        request,
                        f"relaunch-confirmed-{request.retries}",
                        messages.relaunch_confirmed(request, task),
                    )
                ],
            ),
        )
