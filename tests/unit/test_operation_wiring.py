"""An operation's module is all the wiring its call needs (issue 28): its button, its click, its handler,
its confirm, its policy name and its moves follow from its ``Behaviour`` and its table line, each
checked here for every operation of the table."""

import pytest

from bot.adapters.slack import card_actions, ids
from bot.demo.samples import sample_draft
from bot.demo.terminal import CONSOLE_HELP
from bot.domain import OPERATIONS, MigrationRequest, Operation
from bot.domain.operations import Launch, behaviour_of, policy_names, with_buttons
from bot.domain.policy_file import parse_policy
from bot.domain.states import can_transition
from handlers import actions, reasons

BUTTONED = list(with_buttons().values())


@pytest.mark.parametrize("operation", BUTTONED, ids=lambda op: op.name)
def test_an_operations_button_is_wired_from_its_behaviour(operation: Operation):
    own = behaviour_of(operation)
    assert own.button is not None
    action = ids.action_id(own.button)
    assert ids.CALL_BUTTONS[action] is operation and action in ids.CONFIRMED
    assert ids.CLICKS[action].word == own.word and f"{own.word} N" in CONSOLE_HELP
    assert (ids.CLICKS[action].asks is operation) == own.step_up  # a step-up asks in a modal first
    assert action in actions.DECISIONS and (action in reasons.DECISIONS) == own.step_up
    request = MigrationRequest(**vars(sample_draft()), id=7, state=operation.origin, task_id=90001)
    title, said = card_actions.confirm_of(action, request)
    assert (title, said) == tuple(t.render("en") for t in own.confirm(request))
    launches = {b.policy_name for b in map(behaviour_of, OPERATIONS) if isinstance(b, Launch)}
    assert own.policy_name not in launches  # its own rules, never a launch's by default


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_an_operations_moves_and_policy_name_follow_from_its_line_and_behaviour(operation: Operation):
    assert can_transition(operation.origin, operation.calling)
    for end in {operation.success, operation.refused, operation.in_doubt} - {operation.calling}:
        assert can_transition(operation.calling, end), end
    assert can_transition(operation.in_doubt, operation.refused)  # "Close: not started"
    name = behaviour_of(operation).policy_name
    assert name in policy_names()
    policy, problems = parse_policy(f'[[rule]]\nmatch = {{ operation = "{name}" }}\napprovals = 2\n')
    assert problems == [] and policy.rules[0].match.operation == {name}


def test_a_launch_is_approved_not_decided_as_an_operations_call(world):
    for operation in OPERATIONS:
        if behaviour_of(operation).button is None:  # the copy, a restore: Approve launches them
            with pytest.raises(ValueError, match="no call of its own"):
                world.service.decisions.decide(1, operation, "UBOB")
