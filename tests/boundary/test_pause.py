"""The runtime pause at the process boundary: a plan of 40 paused mid-dispatch by `/pcc pause`, or
restarted with PCC_READ_ONLY=1 after its dispatch was cut, sends nothing more (POSTs counted at the
simulator) until it is resumed; its board says who paused and why; then the rest is sent, each once."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest

from bot.adapters.slack import ids
from bot.adapters.sql.repository import SqlRepository
from bot.demo.simulator import large_pcc
from bot.domain import AuditEntry, Pause, PlanState, State
from tests import scrape
from tests.helpers import INCIDENT, Bots, RunningBot, Serving, file_request
from tests.pausing import (  # roomy: the fixture overriding config
    BIG,
    CUT_AT,
    LONG_AGO,
    AfterPost,
    file_plan_of_40,
    now,
    plan_boards,
    posted,
    queued,
    roomy,  # noqa: F401
    until,
)

PAUSED = "paused by <@UBOB> since"


def last_about(bot: RunningBot, channel: str | None, text: str) -> str:
    """The blocks of the newest message posted or edited (in ``channel``) whose text has ``text``."""
    calls = [
        c
        for c in bot.slack.standin.calls
        if c.status == 200 and text in str(c.args.get("text")) and channel in (None, c.args.get("channel"))
    ]
    return json.dumps(calls[-1].args.get("blocks"))


def _every_board_says_who_paused_and_why(bot: RunningBot, single: int) -> None:
    assert PAUSED in plan_boards(bot)[-1] and "IAM rights being checked" in plan_boards(bot)[-1]
    assert any(f"pcc-bot is {PAUSED}" in r for r in bot.replies())
    assert PAUSED in last_about(bot, None, f"request #{single}:")  # a card waiting for a click
    assert PAUSED in last_about(bot, INCIDENT, "Datastore copies")  # the incident room's board


def _clicks_are_refused_saying_why(bot: RunningBot, simulator, single: int) -> None:
    bot.click(ids.APPROVE, str(single), user="UBOB")
    bot.command("resume", user="UALICE")  # not an approver
    bot.settle()
    assert bot.runtime.repo.requests.get(single).state == State.PENDING and len(posted(simulator)) == CUT_AT
    refusals = bot.replies()[-2:]
    assert "paused by UBOB since" in refusals[0] and "IAM rights being checked" in refusals[0]
    assert "only the approvers listed in PCC_APPROVERS can resume" in refusals[1]


def test_pcc_pause_stops_an_approved_plan_mid_dispatch_until_pcc_resume(bot, simulator):
    plan_id = file_plan_of_40(bot, simulator)
    single = file_request(bot)  # a request of its own, to be approved while paused

    def pause_now() -> None:  # a person pauses while the 10th POST is in flight
        threading.Thread(
            target=bot.command, args=("pause IAM rights being checked",), kwargs={"user": "UBOB"}
        ).start()
        until(lambda: bot.runtime.repo.pause.current() is not None)

    simulator.sim.calls = AfterPost(CUT_AT, pause_now)
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    bot.settle()
    assert len(posted(simulator)) == CUT_AT and queued(bot, plan_id) == 40 - CUT_AT
    for _ in range(3):  # ticks while paused resume nothing
        bot.runtime.service.poll_once()
        bot.settle()
    assert len(posted(simulator)) == CUT_AT
    _every_board_says_who_paused_and_why(bot, single)
    _clicks_are_refused_saying_why(bot, simulator, single)

    bot.command("resume", user="UCAROL")  # a member of the approvers' group
    bot.settle()
    assert "pcc-bot resumed" in bot.replies()[-1]
    bot.runtime.service.poll_once()  # the next tick resumes the dispatch
    bot.settle()
    until(lambda: queued(bot, plan_id) == 0)
    sent = posted(simulator)
    assert len(sent) == 40 and sorted(sent) == sorted(set(sent))  # the rest, each exactly once
    assert "paused by" not in plan_boards(bot)[-1]
    audit = bot.runtime.repo.audit.since(LONG_AGO)
    lines = [(e.actor, e.action, e.detail) for e, about in audit if about is None]
    assert lines[0] == ("UBOB", "paused", "IAM rights being checked")
    assert lines[1][:2] == ("UCAROL", "resumed")


def test_a_restart_with_pcc_read_only_sends_nothing_until_restarted_without_it(bots: Bots, config, simulator):
    bot = bots.start()
    plan_id = file_plan_of_40(bot, simulator)

    def stop_dispatch() -> None:  # the process stops mid-dispatch: its dispatch is cut after 10 POSTs
        repo = SqlRepository(config.db_path)
        try:
            repo.pause.start(
                Pause("UTEST", "cut", now()), AuditEntry(None, now(), "UTEST", "paused", None, None)
            )
        finally:
            repo.close()

    simulator.sim.calls = AfterPost(CUT_AT, stop_dispatch)
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    bot.settle()
    bots.stop(bot)
    repo = SqlRepository(config.db_path)
    repo.pause.end(AuditEntry(None, now(), "UTEST", "resumed", None, None))  # as after a crash
    repo.close()
    assert len(posted(simulator)) == CUT_AT

    read_only = Bots(replace(config, read_only=True), bots._slack)
    try:
        bot = read_only.start()  # reconcile and ticks: the dispatch is not resumed
        bot.runtime.service.poll_once()
        bot.settle()
        assert len(posted(simulator)) == CUT_AT
        assert queued(bot, plan_id) == 40 - CUT_AT
        assert "paused by `PCC_READ_ONLY` since" in plan_boards(bot)[-1]
        bot.command("resume", user="UBOB")
        bot.settle()
        assert "only a restart without it resumes this process" in bot.replies()[-1]
    finally:
        read_only.stop_all()

    bot = bots.start()  # without the switch: the dispatch resumes by itself
    bot.settle()
    until(lambda: queued(bot, plan_id) == 0)
    sent = posted(simulator)
    assert len(sent) == 40 and sorted(sent) == sorted(set(sent))
    assert bot.runtime.repo.plans.get(plan_id).state == PlanState.APPROVED
    room = [c for c in bot.slack.standin.calls_to("chat.postMessage") if c.args["channel"] == INCIDENT]
    assert room


@pytest.mark.timeout(240)  # three process starts and a dispatch: more than the suite's 60 s
def test_a_plan_killed_mid_dispatch_then_started_read_only_sends_nothing_more(tmp_path, simulator, slack):
    """The issue's case, in real processes: `kill -9` mid-dispatch, a restart with PCC_READ_ONLY=1 (its
    start-up reconcile and its ticks every second resume nothing), then one without it."""
    simulator.sim.inventory[BIG] = large_pcc(40)
    simulator.sim.latency = 0.1  # each call a real round trip: the dispatch lasts a few seconds
    bot = Serving(tmp_path, simulator, slack, PCC_OVH_RATE="600")
    try:
        bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
        assert slack.standin.wait_for(
            "chat.postMessage", 1, timeout=20, where=lambda c: "Plan #1" in str(c.args["text"])
        )
        bot.click(ids.APPROVE_PLAN, "1", user="UBOB")
        until(lambda: len(posted(simulator)) >= CUT_AT)
        bot.kill()
        time.sleep(1)  # a POST already on the wire when the process died still reaches the simulator
        cut = len(posted(simulator))
        assert cut < 40
        bot.env["PCC_READ_ONLY"] = "1"
        bot.proc = bot.start()
        assert slack.standin.wait_for(
            "chat.update", 1, timeout=20, where=lambda c: "paused by `PCC_READ_ONLY`" in json.dumps(c.args)
        )
        time.sleep(4)  # four ticks
        assert len(posted(simulator)) == cut  # nothing more
        assert scrape.total(bot.metrics(), "pcc_paused") == 1  # and /metrics says why
        bot.kill()
        del bot.env["PCC_READ_ONLY"]
        bot.proc = bot.start()
        until(lambda: len(posted(simulator)) >= 39, seconds=60)
        time.sleep(3)  # the last POST, if any, and nothing beyond
    finally:
        bot.proc.kill()
    sent = posted(simulator)
    assert sorted(sent) == sorted(set(sent)) and len(sent) in (39, 40)  # each once (one may be cut mid-call)


@pytest.mark.timeout(240)  # two process starts on PostgreSQL and a dispatch
def test_a_pause_on_one_replica_stops_the_dispatch_running_on_the_other(tmp_path, simulator, slack, postgres):
    """Two `serve` processes on one PostgreSQL: the plan dispatches on b (the approval came through b),
    `/pcc pause` goes through a; b sends at most the POST already in flight, then nothing until a
    `/pcc resume` (through a again); then every datastore is POSTed exactly once."""
    simulator.sim.inventory[BIG] = large_pcc(40)
    simulator.sim.latency = 0.1
    url = postgres.fresh(migrated=False)
    env = {"PCC_DATABASE_URL": url, "PCC_OVH_RATE": "600"}
    a, b = (Serving(tmp_path / name, simulator, slack, **env) for name in ("a", "b"))
    repo = SqlRepository(url)
    try:
        a.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
        until(lambda: bool(repo.plans.recent(1)), seconds=30)
        b.click(ids.APPROVE_PLAN, "1", user="UBOB")
        until(lambda: len(posted(simulator)) >= CUT_AT, seconds=30)
        a.command("pause replica drill", user="UBOB")
        until(lambda: repo.pause.current() is not None)
        at_pause = len(posted(simulator))
        time.sleep(4)  # b's dispatch asks at its next POST; the ticks of both resume nothing
        stopped = len(posted(simulator))
        assert stopped <= at_pause + 1 and stopped < 40, (at_pause, stopped)
        a.command("resume", user="UCAROL")
        until(lambda: len(posted(simulator)) >= 40, seconds=60)
        time.sleep(2)  # and nothing beyond
    finally:
        for server in (a, b):
            server.proc.kill()
        repo.close()
    sent = posted(simulator)
    assert len(sent) == 40 and sorted(sent) == sorted(set(sent))
