"""The notices of a mutating call, as the gate words them from the request it decided on (before the
decision's fields are stored): each names the call, says what pcc-bot does next, and shows no gap."""

import pytest

from bot.demo.samples import sample_draft, sample_restore
from bot.domain import OPERATIONS, MigrationRequest, Operation, OvhApiError, StartedTask, State
from bot.domain.operations import behaviour_of
from bot.support.i18n import shown
from bot.usecases import messages

ERROR = OvhApiError("HTTP 503 from OVHcloud", ambiguous=True, query_id="EU.ext-1")
#: What the words of a call must name, where it is not the route its call is sent to (a launch's
#: route, the copy a removal removes).
NAMED = {
    "migration": "linkFilerFromSbg",
    "removal": "restore-001234",
    "restore": "batchRestore",
}


def as_decided(operation: Operation) -> MigrationRequest:
    """The request as the gate holds it when the call answers: in the call's origin, no copy id, no
    call time yet; a task already once launched."""
    task_id = None if operation.origin == State.PENDING else 90001
    draft = sample_restore() if operation.name == "restore" else sample_draft()
    return MigrationRequest(**vars(draft), id=7, state=operation.origin, task_id=task_id)


def named(operation: Operation, request: MigrationRequest) -> str:
    return NAMED.get(operation.name) or behaviour_of(operation).mutation(request, "UBOB").route


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_each_outcome_of_a_call_names_it_and_leaves_no_gap(operation):
    request = as_decided(operation)
    texts = {
        "called": messages.called(request, operation, StartedTask(90002, "q1"), "UBOB"),
        "refused": messages.refused(request, operation, ERROR),
        "in doubt": messages.in_doubt(request, operation, ERROR),
        "unanswered": messages.in_doubt(request, operation),
    }
    texts = {outcome: shown(kept, "en") for outcome, kept in texts.items()}  # as the outbox renders it
    for outcome, text in texts.items():
        unfilled = text.replace(request.api_call, "")  # the call's JSON body has braces of its own
        assert "None" not in text and "{" not in unfilled, (outcome, text)
        assert f"#{request.id}" in text, (outcome, text)
    for outcome in ("refused", "in doubt", "unanswered"):
        assert named(operation, request) in texts[outcome], (outcome, texts[outcome])
    assert "EU.ext-1" in texts["refused"] and "EU.ext-1" in texts["in doubt"]  # for OVHcloud support
    assert "Close: not started" in texts["in doubt"] and "will not send it again" in texts["in doubt"]
