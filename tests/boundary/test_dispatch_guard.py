"""A plan's dispatch asks, before each POST, what a single request's approval asks: a datastore queued
past its TTL is expired, not sent; the rules are read again fresh (a destination that lost HDS while the
dispatch was paused gets nothing more); three identical refusals in a row stop it, say so once and hold
the rest for a person."""

from __future__ import annotations

from bot.adapters.slack import ids
from bot.domain import State
from tests.helpers import INCIDENT, POST_ROUTE
from tests.pausing import (  # roomy: the fixture overriding config
    pause_after,
    plan_boards,
    posted,
    queued,
    room_texts,
    roomy,  # noqa: F401
    small_plan,
    until,
)


def test_a_queued_datastore_paused_past_its_ttl_expires_instead_of_being_sent(timed_bot, simulator, clock):
    bot = timed_bot
    plan_id = small_plan(bot, simulator, 6)
    pause_after(bot, simulator, 2)
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    bot.settle()
    assert len(posted(simulator)) == 2
    clock.advance(days=2)  # paused for days: past the TTL (a day) counted from the approval
    bot.command("resume", user="UBOB")
    bot.settle()
    bot.runtime.service.poll_once()
    bot.settle()
    assert len(posted(simulator)) == 2  # nothing sent after expiry
    items = bot.runtime.repo.plans.items(plan_id)
    assert sorted(i.state for i in items).count(State.EXPIRED) == 4
    assert "the approval expired" in plan_boards(bot)[-1]
    told = [t for t in room_texts(bot) if "datastores not sent" in t]
    assert len(told) == 1 and "4 datastores not sent" in told[0] and "the approval expired" in told[0]


def test_a_destination_that_lost_hds_while_paused_gets_nothing_more(bot, simulator):
    plan_id = small_plan(bot, simulator, 6, hds="enabled")  # HDS data: the destination must have HDS
    pause_after(bot, simulator, 2)
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    bot.settle()
    simulator.sim.inventory["pcc-192-0-2-50"]["hds"] = "disabled"  # read cached a moment ago as enabled
    bot.command("resume", user="UBOB")
    bot.settle()
    bot.runtime.service.poll_once()
    bot.settle()
    assert len(posted(simulator)) == 2
    items = bot.runtime.repo.plans.items(plan_id)
    assert sorted(i.state for i in items).count(State.CANCELLED) == 4
    assert all("HDS" in (i.last_error or "") for i in items if i.state == State.CANCELLED)
    assert "not sent: " in plan_boards(bot)[-1]
    told = [t for t in room_texts(bot) if "datastores not sent" in t]
    assert len(told) == 1 and "4 datastores not sent (not sent: " in told[0] and "HDS" in told[0]


def test_three_identical_refusals_stop_the_dispatch_and_say_so_once(bot, simulator):
    plan_id = small_plan(bot, simulator, 8)
    refusal = {"class": "Client::Forbidden", "message": "This call has not been granted"}
    simulator.sim.inject("POST", POST_ROUTE, 403, times=3, body=refusal)
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    bot.settle()
    for _ in range(2):  # the ticks do not send the held datastores
        bot.runtime.service.poll_once()
        bot.settle()
    assert len(posted(simulator)) == 3
    said = [
        c.args
        for c in bot.slack.standin.calls_to("chat.postMessage")
        if "identical refusals" in str(c.args.get("text"))
    ]
    assert sorted(a["channel"] for a in said) == sorted([INCIDENT, "COPS"])  # once in each
    assert "/pcc resume" in said[0]["text"] and "5 datastores are held" in said[0]["text"]
    assert "held: 3 identical refusals in a row" in plan_boards(bot)[-1]

    bot.command("resume", user="UBOB")  # not paused: the held datastores go on
    bot.settle()
    assert "5 datastores held after repeated refusals are sent again" in bot.replies()[-1]
    bot.runtime.service.poll_once()
    bot.settle()
    until(lambda: queued(bot, plan_id) == 0)
    sent = posted(simulator)
    assert len(sent) == 8 and sorted(sent) == sorted(set(sent))
