"""Fuzzing the running app: arbitrary command text and block_actions payloads, signed and posted.

Never a 5xx, never an unexpected error (every failure is a domain refusal), never a state change
without a valid approval.
"""

import json
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.slack import ids
from bot.domain import State
from tests.helpers import POST_ROUTE, file_request

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
APPROVERS = {"UBOB", "UCAROL"}

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30))
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
user_ids = st.one_of(st.text(max_size=12), st.sampled_from(["UALICE", "UMALLORY", "UEVE", "", "U"])).filter(
    lambda u: u not in APPROVERS
)


def no_unexpected_errors(bot) -> None:
    bot.settle()
    unexpected = [r for r in bot.replies() if "unexpected error" in r]
    assert not unexpected, unexpected[:3]


@FUZZ
@given(text=st.text(max_size=600))
def test_arbitrary_command_text(bot, simulator, text):
    body = urlencode(
        {
            "command": ids.COMMAND,
            "text": text,
            "user_id": "UMALLORY",
            "channel_id": "COPS",
            "team_id": "T0PCC",
            "response_url": bot.slack.response_url(),
            "trigger_id": "t",
        }
    )
    assert bot.post(body).status_code < 500
    no_unexpected_errors(bot)
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []


@FUZZ
@given(
    action_id=st.one_of(st.sampled_from(list(ids.ACTIONS)), st.text(max_size=12)),
    value=st.one_of(st.just("1"), json_value),  # request #1 is filed before the first example
    user=st.one_of(st.builds(lambda i: {"id": i}, user_ids), json_value),
    extra=st.dictionaries(st.sampled_from(["channel", "container", "message", "team", "state"]), json_value),
)
def test_arbitrary_block_actions(bot, simulator, action_id, value, user, extra):
    if not bot.runtime.repo.requests.recent(1):
        assert file_request(bot) == 1
    payload = {
        "type": "block_actions",
        "team": {"id": "T0PCC"},
        "response_url": bot.slack.response_url(),
        "trigger_id": "t",
        "user": user,
        **extra,
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
    }
    assert bot.post(urlencode({"payload": json.dumps(payload)})).status_code < 500
    no_unexpected_errors(bot)
    states = {r.state for r in bot.runtime.repo.requests.recent(10)}
    assert states <= {State.PENDING}
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []
