"""Requests that do not rot, at the process boundary: reminder, expiry, stall warning, and a second
request for a filer pointing to the first one's thread."""

import json

from bot.adapters.slack import ids
from bot.domain import State
from tests.helpers import CHANNEL, INCIDENT, MIGRATE, file_request


def thread_texts(slack, ts):
    return [
        str(c.args["text"])
        for c in slack.standin.calls_to("chat.postMessage")
        if c.args.get("thread_ts") == ts
    ]


def test_reminder_then_expiry_then_no_approval(timed_bot, slack, simulator, clock):
    request_id = file_request(timed_bot)
    card_ts = timed_bot.runtime.repo.requests.get(request_id).card_ts
    card = json.dumps(slack.standin.calls_to("chat.postMessage")[0].args["blocks"])
    assert "expires" in card
    clock.advance(hours=12, minutes=1)
    timed_bot.runtime.service.poll_once()
    timed_bot.runtime.service.poll_once()
    assert len([t for t in thread_texts(slack, card_ts) if "still waits for an approver" in t]) == 1
    clock.advance(hours=12)
    timed_bot.runtime.service.poll_once()
    assert timed_bot.runtime.repo.requests.get(request_id).state == State.EXPIRED
    assert ":zzz: expired" in json.dumps(slack.standin.calls_to("chat.update")[-1].args["blocks"])
    timed_bot.click(ids.APPROVE, str(request_id), user="UBOB")
    timed_bot.settle()
    assert "already expired" in timed_bot.replies()[-1]
    assert simulator.sim.calls_to("POST", "linkFilerFromSbg") == []


def test_an_expired_request_is_refused_at_click_time_before_any_sweep(timed_bot, simulator, clock):
    request_id = file_request(timed_bot)
    clock.advance(days=1, seconds=1)
    timed_bot.click(ids.APPROVE, str(request_id), user="UBOB")
    timed_bot.settle()
    assert f"request #{request_id} expired" in timed_bot.replies()[-1]
    assert simulator.sim.calls_to("POST", "linkFilerFromSbg") == []


def test_a_stall_is_reported_in_thread_and_incident_room(timed_bot, slack, simulator, clock):
    request_id = file_request(timed_bot)
    timed_bot.click(ids.APPROVE, str(request_id), user="UBOB")
    timed_bot.settle()
    simulator.sim.advance(3600)
    timed_bot.runtime.service.poll_once()  # doing 25%
    simulator.sim.speed = 0.0  # only advance() moves simulated time from here on
    frozen = simulator.sim.tasks[90001]
    for _ in range(4):
        clock.advance(hours=1)
        frozen.started += 3600  # the simulated task makes no progress
        simulator.sim.advance(3600)
        timed_bot.runtime.service.poll_once()
    stalls = [
        c for c in slack.standin.calls_to("chat.postMessage") if "may be stalled" in str(c.args["text"])
    ]
    card_ts = timed_bot.runtime.repo.requests.get(request_id).card_ts
    assert [(c.args["channel"], c.args.get("thread_ts")) for c in stalls] == [
        (CHANNEL, card_ts),
        (INCIDENT, None),
    ]
    assert "task 90001" in stalls[0].args["text"] and "OVHcloud support" in stalls[0].args["text"]


def test_a_second_request_for_the_filer_points_to_the_first_thread(timed_bot):
    request_id = file_request(timed_bot)
    card_ts = timed_bot.runtime.repo.requests.get(request_id).card_ts
    timed_bot.command(MIGRATE, user="UDAVE")
    timed_bot.settle()
    reply = timed_bot.replies()[-1]
    assert (
        f"#{request_id}" in reply
        and f"https://slack.com/archives/{CHANNEL}/p{card_ts.replace('.', '')}" in reply
    )
