"""Every mutating call exactly once, at the process boundary: signed clicks in, the simulator executing
a call and then losing its answer, the poller settling the doubt by reading only."""

import json
import threading
from typing import Any

import requests

from bot.adapters.slack import ids
from bot.domain import State, StorageError
from tests import scrape
from tests.fakes import fail_once
from tests.helpers import (
    CHANNEL,
    INCIDENT,
    MIGRATE,
    POST_ROUTE,
    failed_request,
    file_request,
    offered_value,
    start_bot,
    stop_bot,
)

RESET = r"/task/\d+/resetTaskState$"
REMOVE = r"/filer/\d+/remove$"
DEST = "pcc-192-0-2-50"


def clicks(bot, action_id: str, value: str, users=("UBOB", "UCAROL", "UBOB")) -> None:
    """Several approvers clicking at once, as Slack delivers them."""
    threads = [threading.Thread(target=bot.click, args=(action_id, value, u)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bot.settle()


def card_of(bot, request_id: int) -> str:
    """The blocks of that request's card as last edited (found by the card's ts)."""
    card_ts = bot.runtime.repo.requests.get(request_id).card_ts
    calls = bot.slack.standin.calls_to("chat.update")
    updates = [c for c in calls if c.args["channel"] == CHANNEL and c.args["ts"] == card_ts]
    return json.dumps(updates[-1].args["blocks"])


def texts(bot, needle: str) -> list[dict[str, Any]]:
    return [c.args for c in bot.slack.standin.calls_to("chat.postMessage") if needle in str(c.args["text"])]


def test_retry_against_an_executed_503_sends_one_reset_then_tracks_the_task(timed_bot, simulator, clock):
    bot = timed_bot
    request_id = failed_request(bot, simulator)
    simulator.sim.inject("POST", RESET, 503)  # resetTaskState runs, then its answer is lost

    clicks(bot, ids.RETRY, str(request_id))
    clicks(bot, ids.RETRY, str(request_id), users=("UCAROL",))  # and once more, later
    assert len(simulator.sim.calls_to("POST", RESET)) == 1
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.RELAUNCH_IN_DOUBT
    card = card_of(bot, request_id)
    assert "In doubt" in card and ids.RETRY not in card and ids.CLOSE_NOT_STARTED in card
    assert len(texts(bot, "resetTaskState on OVHcloud task")) == 2  # the thread and the incident room
    assert sum(f"request #{request_id} is" in r for r in bot.replies()) == 3  # the other clicks

    bot.runtime.service.poll_once()  # the task left `error`: the relaunch ran
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.REPLICATING and request.retries == 1
    simulator.sim.advance(3 * 3600)
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.DONE
    assert len(simulator.sim.calls_to("POST", RESET)) == 1
    assert {m["channel"] for m in texts(bot, "restore-001240")} == {CHANNEL, INCIDENT}


def test_remove_copy_against_an_executed_503_sends_one_removal_then_tracks_it(timed_bot, simulator, clock):
    bot = timed_bot
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    simulator.sim.advance(5 * 3600)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.DONE
    simulator.sim.inject("POST", REMOVE, 503)

    clicks(bot, ids.REMOVE_COPY, str(request_id))
    clicks(bot, ids.REMOVE_COPY, str(request_id), users=("UCAROL",))
    assert len(simulator.sim.calls_to("POST", REMOVE)) == 1
    assert bot.runtime.repo.requests.get(request_id).state == State.REMOVAL_IN_DOUBT
    assert ids.REMOVE_COPY not in card_of(bot, request_id)

    bot.runtime.service.poll_once()  # its removeFiler task is found on the datastore, by reading
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.REMOVING and request.removal_task_id is not None
    simulator.sim.advance(3600)
    clock.advance(hours=1)  # its next poll is due
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.REMOVED
    assert len(simulator.sim.calls_to("POST", REMOVE)) == 1


def _both_tasks_are_offered_never_proven(bot, request_id: int, real: int, decoy: int) -> str:
    """The poller lists both tasks (neither names the filer); the card and the room offer them."""
    bot.runtime.service.poll_once()
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.NEEDS_ATTENTION  # not proven: no filer id on either task
    assert {t.task_id for t in request.candidates} == {real, decoy}
    card = card_of(bot, request_id)
    call = f"{request_id}:{request.episode}"  # the buttons name the call in doubt
    assert f'"{call}:{real}"' in card and f'"{call}:{decoy}"' in card
    (room,) = [m for m in texts(bot, "needs a decision") if m["channel"] == INCIDENT]
    buttons = [e for b in room["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {e["value"] for e in buttons} == {f"{call}:{real}", f"{call}:{decoy}", call}
    assert all("confirm" in e for e in buttons)  # as on the card
    return call


def test_a_lost_migration_with_an_empty_filer_id_is_never_guessed_and_people_adopt_its_task(
    timed_bot, simulator, clock
):
    bot = timed_bot
    sim = simulator.sim
    sim.task_filer_ids = False  # OVHcloud leaves filerId empty on the tasks it creates
    decoy = sim.add_task(DEST, 1515, "removeFiler")  # a finished task next to it
    sim.inject("POST", POST_ROUTE, 503)  # the POST runs, its answer is lost
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.NEEDS_ATTENTION
    (real,) = [t for t in sim.tasks if t != decoy]

    call = _both_tasks_are_offered_never_proven(bot, request_id, real, decoy)

    sim.advance(5 * 3600)  # both tasks are done now
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.NEEDS_ATTENTION
    assert texts(bot, "done:") == [] and len(texts(bot, "needs a decision")) == 2  # told once

    bot.click(ids.ADOPT, f"{call}:{real}", user="UALICE")  # the requester cannot
    bot.click(ids.ADOPT, f"{call}:999", user="UBOB")  # nor a task that is no candidate
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.NEEDS_ATTENTION
    bot.click(ids.ADOPT, f"{call}:{real}", user="UCAROL")
    bot.settle()
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.REPLICATING and request.task_id == real
    assert any("someone else, listed in PCC_APPROVERS, has to" in r for r in bot.replies())
    assert any("not among the candidates" in r for r in bot.replies())
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.DONE
    assert len(sim.calls_to("POST", POST_ROUTE)) == 1
    history = [e.action for e in bot.runtime.repo.audit.history(request_id)]
    assert "task adopted" in history and "candidates listed" in history


def test_close_not_started_frees_the_filer_without_calling(bot, simulator):
    simulator.sim.inject("POST", POST_ROUTE, "drop")  # the connection drops: did it run?
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.NEEDS_ATTENTION
    close = offered_value(bot, ids.CLOSE_NOT_STARTED)
    bot.click(ids.CLOSE_NOT_STARTED, close, user="UALICE")  # not the requester
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.NEEDS_ATTENTION
    bot.click(ids.CLOSE_NOT_STARTED, close, user="UCAROL")
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.FAILED
    assert [e.action for e in bot.runtime.repo.audit.history(request_id)][-1] == "closed: not started"
    assert len(texts(bot, "closed by <@UCAROL>")) == 2  # the thread and the incident room
    again = file_request(bot)  # the filer can be requested again
    assert again != request_id and len(simulator.sim.tasks) == 1  # and nothing was called meanwhile


def test_a_refused_call_is_final_and_says_why(bot, simulator):
    simulator.sim.inject("POST", POST_ROUTE, 400)  # an explicit refusal (after running: ignored here)
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.FAILED and "400" in (request.last_error or "")
    assert "In doubt" not in card_of(bot, request_id)


def test_a_504_whose_body_says_query_time_out_is_in_doubt_not_resent(bot, simulator):
    auth_layer = {"errorCode": "QUERY_TIME_OUT", "httpCode": "504 Gateway Timeout", "message": "timeout"}
    simulator.sim.inject("POST", POST_ROUTE, 504, body=auth_layer)
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
    assert bot.runtime.repo.requests.get(request_id).state == State.NEEDS_ATTENTION
    bot.runtime.service.poll_once()  # its task carries the filer id and the route's name: proven
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.REPLICATING and request.task_id in simulator.sim.tasks
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1


def test_a_burst_of_unknown_pcc_listings_never_blocks_an_approval(config, slack, simulator):
    bot = start_bot(config, slack, read_wait_seconds=0.5)
    try:
        request_id = file_request(bot)
        for n in range(70):
            bot.command(f"filers nope-{n}", user="UMALLORY")
        bot.click(ids.APPROVE, str(request_id), user="UBOB")
        bot.settle()
        request = bot.runtime.repo.requests.get(request_id)
        assert request.state == State.REPLICATING, request.last_error
        assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
        listed = simulator.sim.calls_to("GET", r"^/dedicatedCloud/nope-")
        assert len(listed) <= config.ovh_rate  # never over the budget in the minute
        assert any("not sent: pcc-bot's OVHcloud call budget" in r for r in bot.replies())
        bot.command("filers pcc-192-0-2-17", user="UDAVE")  # another person is not starved
        bot.settle()
        assert "pcc-192-0-2-17" in bot.replies()[-1] and "datastore" in bot.replies()[-1]
        bot.command("filers nope-1", user="UMALLORY")  # an unknown name is remembered a while
        bot.settle()
        assert len(simulator.sim.calls_to("GET", r"^/dedicatedCloud/nope-1$")) == 1
    finally:
        stop_bot(bot)


def test_a_notice_slack_refuses_for_good_is_dead_lettered_and_reported_once(bot, simulator, slack):
    slack.standin.refused_channels["CPRIVATE"] = "not_in_channel"
    bot.command(MIGRATE, user="UALICE", channel="CPRIVATE")
    bot.settle()
    for _ in range(3):
        bot.runtime.service.deliver_notices()
    refused = [c for c in slack.standin.calls if c.args.get("channel") == "CPRIVATE"]
    assert len(refused) == 1  # tried once, never again
    (report,) = [m for m in texts(bot, "could not be delivered") if m["channel"] == INCIDENT]
    assert "not_in_channel" in report["text"] and "<#CPRIVATE>" in report["text"]
    metrics = requests.get(f"{bot.url}/metrics", timeout=5).text
    assert scrape.value(metrics, "pcc_notices_dead_total") == 1
    assert scrape.value(metrics, "pcc_notice_backlog") == 0
    file_request(bot, "migrate pcc-192-0-2-15 1337 1235 pcc-192-0-2-50 1515")  # later notices still flow


def test_a_card_whose_ts_could_not_be_stored_is_not_posted_twice(timed_bot, simulator, clock, monkeypatch):
    bot = timed_bot
    repo = bot.runtime.repo
    fail_once(monkeypatch, repo.requests, "set_card", StorageError("database is locked"))
    bot.command(MIGRATE)
    bot.settle()
    clock.advance(seconds=10)
    bot.runtime.service.deliver_notices()
    cards = [c for c in bot.slack.standin.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert len(cards) == 1
    (request,) = repo.requests.recent(1)
    assert (request.card_channel, request.card_ts) == (CHANNEL, cards[0].args.get("ts") or request.card_ts)
