"""The runtime pause at the process boundary: a plan of 40 paused mid-dispatch by `/pcc pause`, or
restarted with PCC_READ_ONLY=1 after its dispatch was cut, sends nothing more (POSTs counted at the
simulator) until it is resumed; its board says who paused and why; then the rest is sent, each once."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.adapters.slack import ids
from bot.adapters.sql.repository import SqlRepository
from bot.demo.simulator import large_pcc
from bot.domain import AuditEntry, Pause, PlanState, State
from tests import scrape
from tests.helpers import INCIDENT, POST_ROUTE, Bots, RunningBot, Serving, file_request, start_bot, stop_bot

BIG = "pcc-192-0-2-99"
CUT_AT = 10  # POSTs sent when the pause comes
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


class AfterPost(list):  # type: ignore[type-arg]
    """The simulator's call log, calling ``hook`` once when the ``at``-th POST has run (before its
    answer leaves): what a person does while that POST is in flight."""

    def __init__(self, at: int, hook: Callable[[], None]) -> None:
        super().__init__()
        self._at, self._hook = at, hook

    def append(self, call) -> None:
        super().append(call)
        posts = [c for c in self if c.method == "POST" and re.search(POST_ROUTE, c.path)]
        if call.method == "POST" and len(posts) == self._at:
            self._hook()


def posted(simulator) -> list[int]:
    return [json.loads(c.body)["filerId"] for c in simulator.sim.calls_to("POST", POST_ROUTE)]


def plan_boards(bot: RunningBot) -> list[str]:
    """Each plan card posted or edited, in order."""
    calls = [c for c in bot.slack.standin.calls if c.method in ("chat.postMessage", "chat.update")]
    return [
        json.dumps(c.args.get("blocks"), ensure_ascii=False)
        for c in calls
        if c.status == 200 and "Plan #" in str(c.args.get("text")) and c.args.get("blocks")
    ]


def room_texts(bot: RunningBot) -> list[str]:
    posted = bot.slack.standin.calls_to("chat.postMessage")
    return [str(c.args["text"]) for c in posted if c.args["channel"] == INCIDENT]


def until(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def file_plan_of_40(bot: RunningBot, simulator) -> int:
    simulator.sim.inventory[BIG] = large_pcc(40)
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
    bot.settle()
    (plan,) = bot.runtime.repo.recent_plans(1)
    assert len(plan.items) == 40
    return plan.id


def queued(bot: RunningBot, plan_id: int) -> int:
    return sum(i.state == State.PENDING for i in bot.runtime.repo.plan_items(plan_id))


@pytest.fixture
def roomy(config):
    """The bot's configuration with room in the OVHcloud budget: these tests are not about pacing."""
    return replace(config, ovh_rate=600)


@pytest.fixture
def bot(roomy, slack):
    running = start_bot(roomy, slack)
    yield running
    stop_bot(running)


@pytest.fixture
def bots(roomy, slack):
    started = Bots(roomy, slack)
    yield started
    started.stop_all()


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
    assert bot.runtime.repo.get(single).state == State.PENDING and len(posted(simulator)) == CUT_AT
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
        until(lambda: bot.runtime.repo.pause() is not None)

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
    audit = bot.runtime.repo.audit_since(LONG_AGO)
    lines = [(e.actor, e.action, e.detail) for e, about in audit if about is None]
    assert lines[0] == ("UBOB", "paused", "IAM rights being checked")
    assert lines[1][:2] == ("UCAROL", "resumed")


def test_a_restart_with_pcc_read_only_sends_nothing_until_restarted_without_it(bots: Bots, roomy, simulator):
    bot = bots.start()
    plan_id = file_plan_of_40(bot, simulator)

    def stop_dispatch() -> None:  # the process stops mid-dispatch: its dispatch is cut after 10 POSTs
        repo = SqlRepository(roomy.db_path)
        try:
            repo.start_pause(
                Pause("UTEST", "cut", now()), AuditEntry(None, now(), "UTEST", "paused", None, None)
            )
        finally:
            repo.close()

    simulator.sim.calls = AfterPost(CUT_AT, stop_dispatch)
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    bot.settle()
    bots.stop(bot)
    repo = SqlRepository(roomy.db_path)
    repo.end_pause(AuditEntry(None, now(), "UTEST", "resumed", None, None))  # as after a crash
    repo.close()
    assert len(posted(simulator)) == CUT_AT

    read_only = Bots(replace(roomy, read_only=True), bots._slack)
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
    assert bot.runtime.repo.get_plan(plan_id).state == PlanState.APPROVED
    room = [c for c in bot.slack.standin.calls_to("chat.postMessage") if c.args["channel"] == INCIDENT]
    assert room


def pause_after(bot: RunningBot, simulator, posts: int) -> None:
    """`/pcc pause` by an approver while the ``posts``-th POST is in flight."""

    def pause_now() -> None:
        threading.Thread(target=bot.command, args=("pause",), kwargs={"user": "UBOB"}).start()
        until(lambda: bot.runtime.repo.pause() is not None)

    simulator.sim.calls = AfterPost(posts, pause_now)


def small_plan(bot: RunningBot, simulator, filers: int, hds: str | None = None) -> int:
    simulator.sim.inventory[BIG] = {**large_pcc(filers), "hds": hds}
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
    bot.settle()
    return bot.runtime.repo.recent_plans(1)[0].id


@pytest.fixture
def clocked(roomy, slack, clock):
    running = start_bot(roomy, slack, clock=clock)
    yield running
    stop_bot(running)


def test_a_queued_datastore_paused_past_its_ttl_expires_instead_of_being_sent(clocked, simulator, clock):
    bot = clocked
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
    items = bot.runtime.repo.plan_items(plan_id)
    assert sorted(i.state for i in items).count(State.EXPIRED) == 4
    assert "the approval expired" in plan_boards(bot)[-1]
    room = [
        c.args["text"]
        for c in bot.slack.standin.calls_to("chat.postMessage")
        if c.args["channel"] == INCIDENT
    ]
    told = [t for t in room if "datastores not sent" in t]
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
    items = bot.runtime.repo.plan_items(plan_id)
    assert sorted(i.state for i in items).count(State.CANCELLED) == 4
    assert all("HDS" in (i.last_error or "") for i in items if i.state == State.CANCELLED)
    assert "not sent: " in plan_boards(bot)[-1]
    room = [
        c.args["text"]
        for c in bot.slack.standin.calls_to("chat.postMessage")
        if c.args["channel"] == INCIDENT
    ]
    told = [t for t in room if "datastores not sent" in t]
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
        until(lambda: bool(repo.recent_plans(1)), seconds=30)
        b.click(ids.APPROVE_PLAN, "1", user="UBOB")
        until(lambda: len(posted(simulator)) >= CUT_AT, seconds=30)
        a.command("pause replica drill", user="UBOB")
        until(lambda: repo.pause() is not None)
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
