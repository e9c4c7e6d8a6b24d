"""Bench 5: a plan of 200 datastores (calls to post its card, approval to last POST against the floor
the budget allows, the worst minute), and one person filing twenty requests in twenty seconds."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from bench.common import Row
from bot.app import OVH_WINDOW_SECONDS, build_runtime
from bot.demo.samples import simulator_config
from bot.demo.simulator import SimulatorServer, busiest_minute, large_pcc
from bot.demo.slack_standin import SlackStandInServer
from bot.domain import MigrationSpec

BIG = "pcc-192-0-2-99"
POST = r"/linkFilerFromSbg$"


def _runtime(sim: SimulatorServer, slack: SlackStandInServer, db: Path, rate: int):
    config = simulator_config(
        sim.url, slack.api_url, str(db), slack_bot_token="xoxb-bench", approvers=frozenset({"UBOB"})
    )
    runtime = build_runtime(replace(config, ovh_rate=rate, incident_channel="CINCIDENT", poll_seconds=3600))
    runtime.service.reconcile()
    return runtime


def bench_plan(
    sim: SimulatorServer, slack: SlackStandInServer, workdir: Path, datastores: int = 200
) -> list[Row]:
    rate = 120  # the floor: 90 POSTs a window (the reads keep 30), the last 20 two windows later
    sim.sim.inventory[BIG] = large_pcc(datastores)
    runtime = _runtime(sim, slack, workdir / "plan.db", rate)
    try:
        before = len(sim.sim.calls)
        plan = runtime.service.plans.file_plan(BIG, 2001, "pcc-192-0-2-50", 1515, (), "UALICE", "COPS")
        filing_calls = len(sim.sim.calls) - before
        started = time.monotonic()
        runtime.service.plans.approve(plan.id, "UBOB")
        while len(sim.sim.calls_to("POST", POST)) < datastores and time.monotonic() - started < 600:
            time.sleep(0.05)
        took = time.monotonic() - started
        sent = len(sim.sim.calls_to("POST", POST))
        worst = busiest_minute([c for c in sim.sim.calls[before:] if c.path.startswith("/dedicatedCloud")])
    finally:
        runtime.close()
    # Each full window of POSTs waits one out; a window's POSTs leave reads their quarter (issue 24).
    floor = OVH_WINDOW_SECONDS * ((datastores - 1) // (rate - rate // 4))
    return [
        (
            f"plan of {datastores} datastores: OVHcloud calls to post its card",
            f"{filing_calls}",
            "one expanded listing + rules",
            "",
        ),
        (
            f"plan: approval to the last of {sent} POSTs at {rate} calls/min",
            f"{took:.1f} s",
            f"budget floor {floor:.0f} s",
            f"{took / floor:.2f}x" if floor else "",
        ),
        (
            "plan: OVHcloud calls in the worst minute",
            f"{worst}",
            f"budget {rate}/min",
            f"{worst / rate:.2f}x",
        ),
    ]


def bench_burst(sim: SimulatorServer, slack: SlackStandInServer, workdir: Path, count: int = 20) -> list[Row]:
    sim.sim.inventory[BIG] = large_pcc(count)
    runtime = _runtime(sim, slack, workdir / "burst.db", 60)
    cards_before = len(slack.standin.calls_to("chat.postMessage"))
    before = len(sim.sim.calls)
    try:
        started = time.monotonic()
        threads = []
        for n in range(count):  # one a second, as typed
            spec = MigrationSpec(BIG, 2001, 20000 + n, "pcc-192-0-2-50", 1515)
            thread = threading.Thread(
                target=runtime.service.filing.request_migration, args=(spec, "UALICE", "COPS")
            )
            thread.start()
            threads.append(thread)
            time.sleep(1.0)
        for thread in threads:
            thread.join()
        while (
            len(slack.standin.calls_to("chat.postMessage")) - cards_before < count
            and time.monotonic() - started < 300
        ):
            time.sleep(0.05)
        took = time.monotonic() - started
        reads = len([c for c in sim.sim.calls[before:] if c.method == "GET"])
    finally:
        runtime.close()
    return [
        (
            f"one person filing {count} requests in {count} s: last card after",
            f"{took:.1f} s",
            f"typing {count} s",
            f"{took / count:.2f}x",
        ),
        (
            "same: OVHcloud reads per request",
            f"{reads / count:.1f}",
            "issue's bound 3",
            f"{reads / count / 3:.2f}x",
        ),
    ]
