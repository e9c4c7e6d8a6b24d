"""Retry: a task that ended in `error` is relaunched (resetTaskState) by an approver, once, then tracked."""

import json
import threading

from bot.adapters.slack import ids
from bot.domain import State
from tests.helpers import CHANNEL, POST_ROUTE, failed_request, offered_value

FAILING = "migrate pcc-192-0-2-15 1338 1240 pcc-192-0-2-50 1515"
RESET = r"/task/\d+/resetTaskState$"


def test_a_failed_task_offers_retry_and_an_approver_relaunches_it_once(timed_bot, simulator, clock):
    bot = timed_bot
    request_id = failed_request(bot, simulator)
    card = bot.slack.standin.calls_to("chat.update")[-1].args["blocks"]
    (retry,) = card[-1]["elements"]
    assert retry["action_id"] == ids.RETRY and retry["value"] == str(request_id)
    failure = [
        c for c in bot.slack.standin.calls_to("chat.postMessage") if "ended `error`" in str(c.args["text"])
    ]
    assert len(failure) == 2 and "*Retry* on the card" in failure[0].args["text"]
    for notice in failure:  # the thread reply and the incident-room message both offer Retry
        (offered,) = notice.args["blocks"][-1]["elements"]
        assert (offered["action_id"], offered["value"]) == (ids.RETRY, str(request_id))

    bot.click(ids.RETRY, str(request_id), user="UMALLORY")
    clicks = [
        threading.Thread(target=bot.click, args=(ids.RETRY, str(request_id), u)) for u in ("UBOB", "UCAROL")
    ]
    for c in clicks:
        c.start()
    for c in clicks:
        c.join()
    bot.settle()
    assert any("only the approvers listed" in r for r in bot.replies())
    (reset,) = simulator.sim.calls_to("POST", RESET)
    assert "relaunch approved by U" in json.loads(reset.body)["reason"]
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.REPLICATING and request.retries == 1
    assert any(
        "relaunched OVHcloud task" in str(c.args["text"]) and c.args.get("thread_ts") == request.card_ts
        for c in bot.slack.standin.calls_to("chat.postMessage")
    )

    bot.runtime.service.poll_once()  # tracked again: read at once
    simulator.sim.advance(3 * 3600)
    clock.advance(hours=1)  # its next poll is due
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.DONE
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
    done = [
        c for c in bot.slack.standin.calls_to("chat.postMessage") if "restore-001240" in str(c.args["text"])
    ]
    assert {c.args["channel"] for c in done} == {CHANNEL, "CINCIDENT"}


def test_after_a_relaunch_refused_for_want_of_the_route_retry_is_offered_again_and_works_once(bot, simulator):
    from bot.demo.simulator import DEMO_CONSUMER_KEY

    request_id = failed_request(bot, simulator)
    rules = simulator.sim.access_rules[DEMO_CONSUMER_KEY]
    simulator.sim.access_rules[DEMO_CONSUMER_KEY] = [r for r in rules if r["method"] == "GET"]
    bot.click(ids.RETRY, str(request_id), user="UBOB")
    bot.settle()
    refused = bot.runtime.repo.requests.get(request_id)
    assert refused.state == State.FAILED and refused.can_retry
    card = bot.slack.standin.calls_to("chat.update")[-1].args["blocks"]
    assert [e["action_id"] for e in card[-1]["elements"]] == [ids.RETRY]

    simulator.sim.access_rules[DEMO_CONSUMER_KEY] = rules  # the key gets the route
    bot.click(ids.RETRY, str(request_id), user="UCAROL")
    bot.click(ids.RETRY, str(request_id), user="UBOB")
    bot.settle()
    assert len([c for c in simulator.sim.calls_to("POST", RESET) if c.status == 200]) == 1
    assert bot.runtime.repo.requests.get(request_id).state == State.REPLICATING


def test_after_a_relaunch_in_doubt_is_closed_retry_is_offered_again(bot, simulator):
    request_id = failed_request(bot, simulator)
    simulator.sim.inject("POST", RESET, 503)  # no clear answer; a person checks, and closes the doubt
    bot.click(ids.RETRY, str(request_id), user="UBOB")
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.RELAUNCH_IN_DOUBT
    bot.click(ids.CLOSE_NOT_STARTED, offered_value(bot, ids.CLOSE_NOT_STARTED), user="UCAROL")
    bot.settle()
    closed = bot.runtime.repo.requests.get(request_id)
    assert closed.state == State.FAILED and closed.can_retry, bot.replies()
