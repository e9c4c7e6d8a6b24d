"""The notices of a mutating call, as the gate words them from the request it decided on (before the
decision's fields are stored): each names the call, says what pcc-bot does next, and shows no gap."""

import pytest

from bot.demo.samples import sample_draft, sample_restore
from bot.domain import OPERATIONS, MigrationRequest, OvhApiError, StartedTask, State
from bot.support.i18n import shown
from bot.usecases import messages

ERROR = OvhApiError("HTTP 503 from OVHcloud", ambiguous=True, query_id="EU.ext-1")
NAMED = {
    "migration": "linkFilerFromSbg",
    "relaunch": "resetTaskState",
    "removal": "restore-001234",
    "restore": "batchRestore",
}


def as_decided(operation_name: str) -> MigrationRequest:
    """The request as the gate holds it when the call answers: no copy id, no call time yet."""
    state = {"relaunch": State.FAILED, "removal": State.DONE}.get(operation_name, State.PENDING)
    task_id = None if operation_name in ("migration", "restore") else 90001
    draft = sample_restore() if operation_name == "restore" else sample_draft()
    return MigrationRequest(**vars(draft), id=7, state=state, task_id=task_id)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_each_outcome_of_a_call_names_it_and_leaves_no_gap(operation):
    request = as_decided(operation.name)
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
        assert NAMED[operation.name] in texts[outcome], (outcome, texts[outcome])
    assert "EU.ext-1" in texts["refused"] and "EU.ext-1" in texts["in doubt"]  # for OVHcloud support
    assert "Close: not started" in texts["in doubt"] and "will not send it again" in texts["in doubt"]
