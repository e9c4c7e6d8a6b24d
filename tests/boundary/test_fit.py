"""Messages that fit, over HTTP against a Slack stand-in that refuses, as Slack does, a message whose
blocks carry too much text (msg_blocks_too_long): a 400-datastore plan's card and board are accepted,
and a message refused for good is not sent again and again."""

import json
import re
import time
from dataclasses import replace

import pytest

from bot.adapters.slack import ids
from bot.demo.simulator import large_pcc
from bot.demo.slack_standin import SlackCall
from bot.domain import State
from tests.helpers import INCIDENT, start_bot, stop_bot

BIG = "pcc-192-0-2-99"


def plan_calls(slack, method: str, status: int = 200) -> list[SlackCall]:
    return [
        c
        for c in list(slack.standin.calls)
        if c.method == method and c.status == status and str(c.args.get("text", "")).startswith("Plan #")
    ]


def _file_400(bot, slack) -> int:
    """The card fits, says how much it does not show and where: the whole list is in its thread."""
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
    bot.settle()
    bot.runtime.service.deliver_notices()
    (card,) = plan_calls(slack, "chat.postMessage")
    shown = json.dumps(card.args["blocks"], ensure_ascii=False)
    assert "more line(s) not shown" in shown and "the whole list as filed is in this card's thread" in shown
    plan_id = int(re.search(r"Plan #(\d+)", card.args["text"]).group(1))
    card_ts = bot.runtime.repo.plans.get(plan_id).card_ts
    replies = [
        c.args
        for c in slack.standin.calls_to("chat.postMessage")
        if str(c.args["text"]).startswith("Every datastore of plan #")
    ]
    assert replies and all(r["thread_ts"] == card_ts for r in replies)
    listed = [int(i) for r in replies for i in re.findall(r"` id (\d+)", r["text"])]
    assert sorted(listed) == list(range(20000, 20400))  # every datastore, once, in the thread
    return plan_id


def _dispatch_then_fail_some(bot, simulator, plan_id: int) -> None:
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    started = time.monotonic()
    while not bot.runtime.wait_idle(timeout=10):  # 400 POSTs, each with its notices
        assert time.monotonic() - started < 400, "the dispatch did not end"
    for task in list(simulator.sim.tasks.values())[::7]:
        task.fails = True  # some copies end in error: Retry is offered
    simulator.sim.advance(3 * 3600)
    for _ in range(3):
        bot.runtime.service.poll_once()


@pytest.mark.timeout(480)  # 400 POSTs on a shared machine
def test_a_400_datastore_plan_card_and_board_are_accepted_with_their_buttons(config, slack, simulator):
    slack.standin.max_block_text = 12_000
    simulator.sim.inventory[BIG] = large_pcc(400)
    bot = start_bot(replace(config, ovh_rate=6000), slack)
    try:
        plan_id = _file_400(bot, slack)
        _dispatch_then_fail_some(bot, simulator, plan_id)
        items = bot.runtime.repo.plans.items(plan_id)
    finally:
        stop_bot(bot)
    assert sum(i.state == State.FAILED for i in items) >= 50 and len(items) == 400
    refused = [c for c in slack.standin.calls if c.status == 400]
    assert refused == []  # every card, board, notice and the incident board was accepted
    edits = [json.dumps(c.args["blocks"]) for c in plan_calls(slack, "chat.update")]
    assert any(ids.CANCEL_PLAN_REST in e for e in edits)  # while datastores were queued
    assert ids.RETRY in edits[-1] and ":x: failed" in edits[-1]  # the failures first, with Retry
    boards = [c for c in slack.standin.calls if str(c.args.get("text")).startswith("Datastore copies")]
    assert boards and "more in flight not shown" in json.dumps(boards[-1].args["blocks"])


def test_a_message_slack_refuses_for_good_is_not_sent_again(config, slack, simulator):
    simulator.sim.inventory[BIG] = large_pcc(40)
    bot = start_bot(replace(config, ovh_rate=6000), slack)
    try:
        slack.standin.max_block_text = 400  # every plan card is too long for this Slack
        bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515 20000 20001 20002 20003 20004 20005")
        bot.settle()
        for _ in range(4):
            bot.runtime.service.poll_once()
        refused_cards = plan_calls(slack, "chat.postMessage", status=400)
        slack.standin.max_block_text = None
        bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515 20010 20011")
        bot.settle()
        bot.runtime.service.deliver_notices()
        (card,) = plan_calls(slack, "chat.postMessage")
        plan_id = int(re.search(r"Plan #(\d+)", card.args["text"]).group(1))
        slack.standin.max_block_text = 400  # its board can no longer be edited
        bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
        bot.settle()
        for _ in range(4):
            bot.runtime.service.poll_once()
        before = len(plan_calls(slack, "chat.update", status=400))
        for _ in range(4):
            bot.runtime.service.poll_once()
        after = len(plan_calls(slack, "chat.update", status=400))
    finally:
        stop_bot(bot)
    assert len(refused_cards) == 1  # dead-lettered at the first refusal, never retried
    room = [
        str(c.args["text"])
        for c in slack.standin.calls_to("chat.postMessage")
        if c.args["channel"] == INCIDENT
    ]
    assert any("could not be delivered" in t and "msg_blocks_too_long" in t for t in room)
    assert before >= 1 and after == before  # a board refused for good waits for a change
