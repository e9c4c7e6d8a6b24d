"""The plan drill at the process boundary: a 40-datastore datacenter, racing approvals, one POST refused,
one answered 503 after it ran, `kill -9` two seconds after the approval, a restart: every included
datastore POSTed exactly once, one summary, and never more calls in a minute than the budget allows."""

import json
import signal
import threading
import time

import pytest

from bot.adapters.slack import ids
from bot.demo.simulator import busiest_minute, large_pcc
from bot.domain import PlanState
from tests.helpers import INCIDENT, POST_ROUTE, Serving

BIG = "pcc-192-0-2-99"


def plan_state(tmp_path) -> PlanState:
    from bot.adapters.sql.repository import SqlRepository

    repo = SqlRepository(str(tmp_path / "bot.db"))
    try:
        plan = repo.plans.get(1)
        return plan.state if plan else PlanState.PENDING
    finally:
        repo.close()


def busiest_by_life(simulator, restarted: float) -> int:
    """The busiest minute of OVHcloud calls within each life of the process (on SQLite the budget's
    window is the process's own, so a restart starts it afresh)."""
    ovh = [c for c in simulator.sim.calls if c.path.startswith("/dedicatedCloud")]
    before = busiest_minute([c for c in ovh if c.at < restarted])
    return max(before, busiest_minute([c for c in ovh if c.at >= restarted]))


@pytest.mark.timeout(240)  # two process starts, a dispatch, replication: more than the suite's 60 s
def test_a_plan_killed_mid_dispatch_posts_every_datastore_once(tmp_path, simulator, slack):
    simulator.sim.inventory[BIG] = large_pcc(40)
    simulator.sim.latency = 0.1  # each call a real round trip: the dispatch lasts a few seconds
    bot = Serving(tmp_path, simulator, slack, PCC_INCIDENT_CHANNEL=INCIDENT)
    try:
        bot.command(f"migrate {BIG} 2001 20007 pcc-192-0-2-50 1515")  # a pending request has one
        time.sleep(1)
        bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
        assert slack.standin.wait_for(
            "chat.postMessage", 2, timeout=20, where=lambda c: "Plan #1" in str(c.args["text"])
        )
        simulator.sim.inject("POST", POST_ROUTE, 400)
        simulator.sim.inject("POST", POST_ROUTE, 503)
        clicks = [
            threading.Thread(target=bot.click, args=(ids.APPROVE_PLAN, "1", u)) for u in ("UBOB", "UCAROL")
        ]
        for click in clicks:
            click.start()
        for click in clicks:
            click.join()
        time.sleep(2)
        bot.proc.send_signal(signal.SIGKILL)
        bot.proc.wait(5)
        sent_before = len(simulator.sim.calls_to("POST", POST_ROUTE))
        assert 0 < sent_before < 39  # cut mid-way
        restarted = time.monotonic()
        bot.proc = bot.start()
        simulator.sim.latency = 0.0
        deadline = time.monotonic() + 120  # the budget's minute may be spent: the rest waits for it
        while len(simulator.sim.calls_to("POST", POST_ROUTE)) < 39 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # the poller settles the call in doubt by reading
        simulator.sim.advance(6 * 3600)
        deadline = time.monotonic() + 60
        while plan_state(tmp_path) != PlanState.ENDED and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(6)  # the summary's delivery
    finally:
        bot.proc.kill()
    posted = [json.loads(c.body)["filerId"] for c in simulator.sim.calls_to("POST", POST_ROUTE)]
    assert sorted(posted) == sorted(set(posted)) and len(posted) == 39 and 20007 not in posted
    assert plan_state(tmp_path) == PlanState.ENDED
    room = [
        str(c.args["text"])
        for c in slack.standin.calls_to("chat.postMessage")
        if c.args["channel"] == INCIDENT
    ]
    summaries = [t for t in room if "Plan #1 ended" in t]
    assert (
        len(summaries) == 1 and "37 copied, 1 failed" in summaries[0]
    ) or "38 copied, 1 failed" in summaries[0]
    assert len(room) <= 12, room
    assert busiest_by_life(simulator, restarted) <= 60
