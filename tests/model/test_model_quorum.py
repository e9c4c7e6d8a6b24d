"""The model-based test under an approval policy: every request (an HDS source) needs two approvals, one
of them from the security group, for its copy, its relaunches and its removal (typed name included);
random people approve, members leave and join the group, last approvals race on threads. After every
step, besides the lifecycle's invariants: no call ran more often than it was decided, and no copy was
decided without a quorum (two distinct people, neither the requester)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from bot.domain import PccBotError, State
from bot.domain.policy import Match, Policy, Reason, Rule
from bot.usecases import messages
from tests.fakes import FakeDirectory
from tests.model.faulty import ProcessDied, decision_of
from tests.model.test_model import TIME_LIMIT, Lifecycle

QUORUM = Policy(
    (
        Rule(
            name="health data",
            match=Match(certification=frozenset({"hds"})),
            approvals=2,
            approvers=frozenset({"UBOB", "UDAVE", "SONCALL", "SSECURITY"}),
            at_least_one_of=frozenset({"SSECURITY"}),
            reject_reason=Reason.OPTIONAL,
        ),
    )
)
VOTERS = ("UALICE", "UBOB", "UCAROL", "UDAVE", "UERIN", "UMALLORY")  # requester ... outsider


class QuorumLifecycle(Lifecycle):
    plan_voters = VOTERS  # a plan needs the same quorum as a request (its strictest rule)

    def __init__(self) -> None:
        super().__init__()
        self.settings = type(self.settings)(**{**vars(self.settings), "approval_policy": QUORUM})
        self.service = self._service()

    def groups(self) -> FakeDirectory:
        return FakeDirectory({"SONCALL": frozenset({"UCAROL"}), "SSECURITY": frozenset({"UERIN"})})

    def _decide(self, decision: str, request_id: int, user: str) -> None:
        request = self.repo.requests.get(request_id)
        assert request is not None
        typed = (messages.restore_name(request),) if decision == "remove_copy" else ()
        self._try(decision_of(self.service.decisions, decision), request_id, user, *typed)

    @precondition(lambda self: self._ids())
    @rule(
        data=st.data(),
        decision=st.sampled_from(("approve", "approve", "retry", "remove_copy", "reject")),
        user=st.sampled_from(VOTERS),
    )
    def someone_decides(self, data: st.DataObject, decision: str, user: str) -> None:
        self._decide(decision, data.draw(st.sampled_from(self._ids())), user)

    @rule(member=st.booleans())
    def security_membership_changes(self, member: bool) -> None:
        """UERIN leaves the security group (an approval of theirs stops counting) or joins it again."""
        self.directory.groups["SSECURITY"] = frozenset({"UERIN"}) if member else frozenset()

    @precondition(lambda self: self.repo.requests.in_states([State.PENDING, State.FAILED, State.DONE]))
    @rule(data=st.data(), decision=st.sampled_from(("approve", "retry", "remove_copy")))
    def last_approvals_race(self, data: st.DataObject, decision: str) -> None:
        request = data.draw(
            st.sampled_from(self.repo.requests.in_states([State.PENDING, State.FAILED, State.DONE]))
        )
        typed = (messages.restore_name(request),) if decision == "remove_copy" else ()
        decide = decision_of(self.service.decisions, decision)
        died: list[ProcessDied] = []
        barrier = threading.Barrier(4)

        def click(user: str) -> None:
            barrier.wait()
            try:
                decide(request.id, user, *typed)
            except ProcessDied as error:  # the restart happens once, on the test's thread, below
                died.append(error)
            except PccBotError:
                pass

        threads = [threading.Thread(target=click, args=(u,)) for u in ("UBOB", "UDAVE", "UERIN", "UCAROL")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if died:
            self.restart()

    @invariant()
    def no_copy_is_decided_without_a_quorum(self) -> None:
        for request in self.repo.requests.recent(50):
            if request.plan_id is not None:
                continue  # approved with its plan, whose own approvals are counted likewise
            history = self.repo.audit.history(request.id)
            approved = [i for i, e in enumerate(history) if e.action == "approved"]
            for index in approved:  # every approval has its own audit line, the last one's included
                people = {e.actor for e in history[:index] if e.action == "approval counted"}
                assert len(people) >= 2 and request.requester not in people, (request.id, people)
                assert history[index].actor in people


QuorumLifecycle.TestCase.settings = Lifecycle.TestCase.settings
TestQuorumLifecycle = pytest.mark.timeout(TIME_LIMIT)(QuorumLifecycle.TestCase)
