"""Bench 7: people before bursts. One person's `/pcc filers` while a 400-datastore plan dispatches (its
POSTs have filled their share of the budget's minute), against the same listing alone."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from bench.common import LATENCY, Row
from bot.app import build_runtime
from bot.demo.samples import simulator_config
from bot.demo.simulator import SimulatorServer, large_pcc
from bot.demo.slack_standin import SlackStandInServer
from bot.support import logs

BIG = "pcc-192-0-2-99"
POST = r"/linkFilerFromSbg$"
LISTED = "pcc-192-0-2-15"


def _runtime(sim: SimulatorServer, slack: SlackStandInServer, db: Path, rate: int):
    config = simulator_config(
        sim.url, slack.api_url, str(db), slack_bot_token="xoxb-bench", approvers=frozenset({"UBOB"})
    )
    runtime = build_runtime(replace(config, ovh_rate=rate, poll_seconds=3600))
    runtime.service.reconcile()
    return runtime


def _listing(runtime) -> float:
    """Seconds for UDAVE's listing of every datacenter of a PCC (its reads under his name)."""
    started = time.monotonic()
    with logs.context(user="UDAVE"):
        runtime.service.reading.list_filers(LISTED, None, "UDAVE")
    return time.monotonic() - started


def bench_people_during_dispatch(
    sim: SimulatorServer, slack: SlackStandInServer, workdir: Path, datastores: int = 400, rate: int = 60
) -> list[Row]:
    sim.sim.latency = LATENCY
    alone_runtime = _runtime(sim, slack, workdir / "alone.db", rate)
    try:
        alone_runtime.gateway.get_pcc("pcc-192-0-2-50")  # python-ovh's one /auth/time call, not counted
        alone = _listing(alone_runtime)
    finally:
        alone_runtime.close()
    sim.sim.inventory[BIG] = large_pcc(datastores)
    runtime = _runtime(sim, slack, workdir / "dispatch.db", rate)
    try:
        plan = runtime.service.plans.file_plan(BIG, 2001, "pcc-192-0-2-50", 1515, (), "UALICE", "COPS")
        before = len(sim.sim.calls_to("POST", POST))
        runtime.service.plans.approve(plan.id, "UBOB")
        deadline = time.monotonic() + 120
        share = rate - rate // 4  # what a window leaves mutating calls
        while len(sim.sim.calls_to("POST", POST)) - before < share and time.monotonic() < deadline:
            time.sleep(0.05)
        sent = len(sim.sim.calls_to("POST", POST)) - before
        during = _listing(runtime)
    finally:
        runtime.close(timeout=1)
        sim.sim.latency = 0.0
    return [
        (
            f"/pcc filers while a {datastores}-datastore plan dispatches ({sent} POSTs sent, {rate}/min)",
            f"{during:.2f} s",
            f"same listing alone {alone:.2f} s",
            f"{during / alone:.2f}x",
        )
    ]


if __name__ == "__main__":
    import tempfile

    from bot.demo.simulator import Simulator
    from bot.demo.slack_standin import SlackStandIn

    simulator = SimulatorServer(Simulator()).start()
    standin = SlackStandInServer(SlackStandIn()).start()
    with tempfile.TemporaryDirectory(prefix="pcc-bench-") as folder:
        for row in bench_people_during_dispatch(simulator, standin, Path(folder)):
            print(" | ".join(row))
    standin.stop()
    simulator.stop()
