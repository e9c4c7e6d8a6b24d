"""Buttons that settle a call in doubt act on the call they were posted for; a button that changes a
copy acts only in the state it was offered for; and every button that makes or settles an OVHcloud
call asks for confirmation wherever it is posted."""

import json

import pytest

from bot.adapters.slack import ids
from bot.domain import State
from tests.helpers import failed_request, file_request, offered_value

RESET = r"/task/\d+/resetTaskState$"
REMOVE = r"/filer/\d+/remove$"


@pytest.mark.parametrize(
    ("action_id", "refusal", "route"),
    [
        (ids.RETRY, "only a task that ended in `error` can be relaunched", RESET),
        (ids.REMOVE_COPY, "only a finished copy can be removed", REMOVE),
    ],
)
def test_a_button_of_another_state_is_refused_and_calls_nothing(bot, simulator, action_id, refusal, route):
    request_id = file_request(bot)  # pending: neither failed nor done
    bot.click(action_id, str(request_id), user="UBOB")
    bot.settle()
    assert refusal in bot.replies()[-1]
    assert simulator.sim.calls_to("POST", route) == []


def test_a_close_from_an_earlier_doubt_does_nothing_to_the_current_one(bot, simulator):
    request_id = failed_request(bot, simulator)
    simulator.sim.inject("POST", RESET, 503)
    bot.click(ids.RETRY, offered_value(bot, ids.RETRY), user="UBOB")
    bot.settle()
    first_close = offered_value(bot, ids.CLOSE_NOT_STARTED)  # as a person's screen keeps it
    bot.click(ids.CLOSE_NOT_STARTED, first_close, user="UCAROL")  # checked at OVHcloud: closed
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.FAILED

    simulator.sim.inject("POST", RESET, 503)  # a second relaunch, in doubt again
    bot.click(ids.RETRY, offered_value(bot, ids.RETRY), user="UBOB")
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.RELAUNCH_IN_DOUBT
    bot.click(ids.CLOSE_NOT_STARTED, first_close, user="UCAROL")  # the stale button, clicked late
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.RELAUNCH_IN_DOUBT
    assert "about an earlier call" in bot.replies()[-1]

    current = offered_value(bot, ids.CLOSE_NOT_STARTED)
    assert current != first_close
    bot.click(ids.CLOSE_NOT_STARTED, current, user="UCAROL")
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.FAILED
    told = [
        c
        for c in bot.slack.standin.calls_to("chat.postMessage")
        if "closed by" in str(c.args.get("text")) and c.args.get("thread_ts")
    ]
    assert len(told) == 2  # each doubt closed is told in the thread, the second as well as the first


def test_every_button_that_calls_ovhcloud_asks_first_on_cards_and_notices(bot, simulator):
    failed_request(bot, simulator)
    simulator.sim.inject("POST", RESET, 503)
    bot.click(ids.RETRY, offered_value(bot, ids.RETRY), user="UBOB")
    bot.settle()
    posted = [c for c in bot.slack.standin.calls if c.status == 200 and c.args.get("blocks")]
    buttons = [
        element
        for call in posted
        for block in call.args["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
    ]
    seen = {b["action_id"] for b in buttons}
    assert {ids.APPROVE, ids.RETRY, ids.CLOSE_NOT_STARTED} <= seen
    unconfirmed = [b for b in buttons if b["action_id"] in ids.CONFIRMED and "confirm" not in b]
    assert unconfirmed == [], json.dumps(unconfirmed)
