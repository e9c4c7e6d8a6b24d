"""A model-based test of the whole lifecycle: hypothesis drives the real use cases and the SQLite
repository through random filings and clicks by random people, task progress, OVHcloud answers
(accepted, refused, 5xx after running, timeouts before and after running), Slack failures and restarts,
and checks the invariants after every step.

`make test` runs PCC_MODEL_EXAMPLES scenarios (default 25); `make soak` twenty times more. The same
scenarios on PostgreSQL, and the fixed cases the soak found: tests/model/test_model_cases.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from bot.adapters.sql.repository import SqlRepository
from bot.domain import (
    ACTIVE_STATES,
    OPERATIONS,
    REMOVAL,
    MigrationSpec,
    PccBotError,
    PlanState,
    State,
)
from bot.usecases.dispatch import held
from bot.usecases.service import PccService
from bot.usecases.settings import ServiceSettings
from tests.fakes import FakeClock, FakeDirectory, FakeNotifier
from tests.model.faulty import FaultyGateway, ProcessDied, decision_of
from tests.world import TIMES, service_of

EXAMPLES = int(os.environ.get("PCC_MODEL_EXAMPLES", "25"))
PEOPLE = ("UALICE", "UBOB", "UCAROL", "UMALLORY")  # requester, approver, group member, outsider
ANSWERS = (
    "ok",
    "refused",
    "5xx-after-running",
    "timeout-before-running",
    "timeout-after-running",
    "crash-after-running",  # the process stops mid-call: no answer is ever recorded
    "storage-fails-after-running",  # the call ran, the database could not record its answer
)
APPROVERS = ("UBOB", "UCAROL")


FILERS = (100, 101)
CALL_TIMEOUT = timedelta(minutes=2)
OUTCOME = re.compile(r"Request #\d+ done:|of request #\d+ is removed")


class Lifecycle(RuleBasedStateMachine):
    plan_voters: tuple[str, ...] = APPROVERS  # who clicks Approve plan (under a policy: the quorum's voters)

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp(prefix="pcc-model-")
        self.path = self.where()
        self.clock = FakeClock()
        self.gateway = FaultyGateway(now=self.clock.now)
        self.notifier = FakeNotifier()
        self.settings = ServiceSettings(
            approvers=frozenset({"UBOB", "SONCALL"}),
            incident_channel="CINC",
            call_timeout=CALL_TIMEOUT,
            **TIMES,
        )
        self.repo = SqlRepository(self.path)
        self.directory = self.groups()
        self.service = self._service()
        self.decisions: Counter[tuple[str, int]] = Counter()

    def groups(self) -> FakeDirectory:
        """The user groups the approvers name (a policy's model adds a security group)."""
        return FakeDirectory({"SONCALL": frozenset({"UCAROL"})})

    def _service(self) -> PccService:  # its ports: the fakes of the same names
        return service_of(self)

    def where(self) -> str:
        """The database: a SQLite file here; PostgreSQL in tests/model/test_model_cases.py."""
        return os.path.join(self.folder, "bot.db")

    def teardown(self) -> None:
        self.repo.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _ids(self) -> list[int]:
        return [r.id for r in self.repo.requests.recent(50)]

    def _try(self, action: Callable[..., object], *args: object) -> None:
        try:
            with contextlib.suppress(PccBotError):  # refusals are answers; the invariants judge them
                action(*args)
        except ProcessDied:
            self.restart()

    # ------------------------------------------------------------ people

    @rule(filer=st.sampled_from(FILERS), user=st.sampled_from(PEOPLE))
    def file(self, filer: int, user: str) -> None:
        self._try(
            self.service.filing.request_migration,
            MigrationSpec("pcc-src", 10, filer, "pcc-dst", 20),
            user,
            "COPS",
        )

    @precondition(lambda self: self._ids())
    @rule(
        data=st.data(),
        click=st.sampled_from(("approve", "reject", "cancel", "retry", "remove_copy", "close_not_started")),
        user=st.sampled_from(PEOPLE),
    )
    def click(self, data: st.DataObject, click: str, user: str) -> None:
        request_id = data.draw(st.sampled_from(self._ids()))
        self._try(decision_of(self.service.decisions, click), request_id, user)

    @precondition(lambda self: self._ids())
    @rule(
        data=st.data(),
        decision=st.sampled_from(("approve", "retry", "remove_copy", "close_not_started")),
        user=st.sampled_from(APPROVERS),
    )
    def approver_decides(self, data: st.DataObject, decision: str, user: str) -> None:
        request_id = data.draw(st.sampled_from(self._ids()))
        self._try(decision_of(self.service.decisions, decision), request_id, user)

    @precondition(lambda self: any(r.candidates for r in self.repo.requests.recent(50)))
    @rule(data=st.data(), user=st.sampled_from(PEOPLE))
    def adopt(self, data: st.DataObject, user: str) -> None:
        request = data.draw(st.sampled_from([r for r in self.repo.requests.recent(50) if r.candidates]))
        task = data.draw(st.sampled_from(request.candidates))
        self._try(self.service.decisions.adopt, request.id, task.task_id, user)

    @rule(user=st.sampled_from(PEOPLE), listed=st.sampled_from(((), (100,), (101,), (100, 101))))
    def file_plan(self, user: str, listed: tuple[int, ...]) -> None:
        self._try(self.service.plans.file_plan, "pcc-src", 10, "pcc-dst", 20, listed, user, "COPS")

    @precondition(lambda self: self.repo.plans.recent(5))
    @rule(
        data=st.data(),
        decision=st.sampled_from(("approve", "approve", "reject", "cancel_rest")),
        user=st.sampled_from(PEOPLE),
    )
    def plan_decides(self, data: st.DataObject, decision: str, user: str) -> None:
        plan = data.draw(st.sampled_from(self.repo.plans.recent(5)))
        self._try(getattr(self.service.plans, decision), plan.id, user)

    @precondition(lambda self: self.repo.plans.in_states([PlanState.PENDING]))
    @rule(data=st.data(), answer=st.sampled_from(ANSWERS))
    def approver_approves_a_plan(self, data: st.DataObject, answer: str) -> None:
        """One of ``plan_voters`` approves; its first POST answered as drawn (refused, lost, a crash)."""
        plan = data.draw(st.sampled_from(self.repo.plans.in_states([PlanState.PENDING])))
        user = data.draw(st.sampled_from(self.plan_voters))
        self.gateway.answer = answer
        self._try(self.service.plans.approve, plan.id, user)

    # ------------------------------------------------------------ the world

    @rule(answer=st.sampled_from(ANSWERS))
    def next_answer(self, answer: str) -> None:
        self.gateway.answer = answer

    @precondition(lambda self: self.gateway.tasks)
    @rule(data=st.data(), state=st.sampled_from(("doing", "done", "error", "todo")))
    def task_moves(self, data: st.DataObject, state: str) -> None:
        task_id = data.draw(st.sampled_from(sorted(self.gateway.tasks)))
        self.gateway.set_task(task_id, state, 100 if state == "done" else 40)

    @precondition(lambda self: self.repo.requests.in_states([State.REPLICATING, State.REMOVING]))
    @rule(data=st.data(), ending=st.sampled_from(("done", "error")))
    def a_tracked_task_ends(self, data: st.DataObject, ending: str) -> None:
        """A task the bot follows ends, and the poller sees it: the lifecycle moves on (to removals and
        relaunches) more often than random task moves alone would take it."""
        tracked = self.repo.requests.in_states([State.REPLICATING, State.REMOVING])
        request = data.draw(st.sampled_from(tracked))
        task_id = request.task_id if request.state == State.REPLICATING else request.removal_task_id
        if task_id in self.gateway.tasks:
            self.gateway.set_task(task_id, ending, 100 if ending == "done" else 40)
        self.clock.advance(hours=2)
        self.service.poll_once()

    @rule(failures=st.integers(0, 3))
    def slack_fails(self, failures: int) -> None:
        self.notifier.failures = failures

    @rule(minutes=st.integers(1, 90))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @rule()
    def poll(self) -> None:
        self.service.poll_once()
        now = self.clock.now()
        for operation in OPERATIONS:
            for request in self.repo.requests.in_states([operation.calling]):
                if operation is REMOVAL and request.removal_task_id is not None:
                    continue
                started = request.called_at or request.updated_at
                assert started is not None and now - started < CALL_TIMEOUT, (
                    f"request #{request.id} left {request.state} with nobody watching"
                )

    @rule()
    def restart(self) -> None:
        self.repo.close()
        self.repo = SqlRepository(self.path)
        self.service = self._service()
        self.service.reconcile()

    # ------------------------------------------------------------ invariants

    @invariant()
    def states_seen(self) -> None:
        """Which states the run reached, requests' and plans' (hypothesis reports the counts)."""
        for request in self.repo.requests.recent(50):
            event(f"state {request.state.value}")
        for plan in self.repo.plans.recent(50):
            event(f"plan {plan.state.value}")

    @invariant()
    def no_call_runs_twice_for_one_decision(self) -> None:
        decided: Counter[tuple[str, int]] = Counter()
        for request in self.repo.requests.recent(50):
            for entry in self.repo.audit.history(request.id):
                if entry.action == "approved":
                    decided[("migration", request.spec.filer_id)] += 1
                elif entry.action == "retry approved" and request.task_id is not None:
                    decided[("relaunch", request.task_id)] += 1
                elif entry.action == "copy removal approved" and request.copy_filer_id is not None:
                    decided[("removal", request.copy_filer_id)] += 1
        for key, runs in self.gateway.executed.items():
            assert runs <= decided[key], f"{key} ran {runs} times for {decided[key]} decision(s)"

    @invariant()
    def the_audit_trail_replays_to_the_current_state(self) -> None:
        for request in self.repo.requests.recent(50):
            state: str | None = None
            for entry in self.repo.audit.history(request.id):
                if entry.to_state is None:
                    continue  # a change within the state (candidates listed, a removal task found)
                assert entry.from_state == state, f"#{request.id}: {entry.action} from {entry.from_state}"
                state = entry.to_state
            assert state == request.state.value

    @invariant()
    def each_outcome_is_announced_once_per_channel(self) -> None:
        seen = Counter(
            (channel, outcome.group(0))
            for channel, text, _ in self.notifier.texts
            if (outcome := OUTCOME.search(text)) is not None
        )
        assert all(count == 1 for count in seen.values()), seen

    @invariant()
    def the_counts_metrics_read_match_the_rows(self) -> None:
        requests, audit = self.repo.requests, self.repo.audit
        states = Counter(r.state.value for r in requests.recent(1000))
        assert requests.count_by_state() == dict(states)
        approved = [e for r in requests.recent(1000) for e in audit.history(r.id) if e.action == "approved"]
        assert audit.count_actions("approved") == len(approved)

    @invariant()
    def every_datastore_of_an_approved_plan_is_sent_cancelled_or_refused(self) -> None:
        """No dispatch is left half-done: once a step is over (a crash mid-dispatch included: the
        restart resumes it), no datastore of an approved plan still waits for its POST, unless a
        dispatch stopped after identical refusals holds it for a person (usecases/dispatch.py)."""
        for plan in self.repo.plans.recent(50):
            items = self.repo.plans.items(plan.id)
            queued = [r.id for r in items if r.state == State.PENDING and not held(r)]
            assert not queued, f"plan #{plan.id} ({plan.state}) left {queued} unsent"
            assert plan.state in (PlanState.APPROVED, PlanState.ENDED) or not items

    @invariant()
    def at_most_one_active_request_per_filer(self) -> None:
        active = Counter(r.spec.filer_id for r in self.repo.requests.recent(50) if r.state in ACTIVE_STATES)
        assert all(count == 1 for count in active.values())


Lifecycle.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
#: The limit of one run of the model: three times the suite's limit per test for its 25 scenarios of up
#: to 40 steps, and as much more as `make soak` asks for more scenarios.
TIME_LIMIT = 180 * max(1, EXAMPLES // 25)
TestLifecycle = pytest.mark.timeout(TIME_LIMIT)(Lifecycle.TestCase)
