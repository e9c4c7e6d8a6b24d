"""`make bench`: pcc-bot's figures, each against a reference measured in the same run.

Everything runs on this machine: the bot serving HTTP on 127.0.0.1, the OVHcloud simulator, the
local Slack stand-in. Method and latest figures: docs/benchmarks.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from bench.ack import bench_ack
from bench.bursts import bench_people_during_dispatch
from bench.common import Row
from bench.listing import bench_filers
from bench.plans import bench_burst, bench_plan
from bench.poller import bench_poller
from bench.replicas import bench_replicas
from bench.startup import bench_startup
from bot.demo.simulator import Simulator, SimulatorServer
from bot.demo.slack_standin import SlackStandIn, SlackStandInServer


def main() -> int:
    import logging

    logging.basicConfig(level=logging.ERROR)
    sim = SimulatorServer(Simulator()).start()
    slack = SlackStandInServer(SlackStandIn()).start()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="pcc-bench-") as tmp:
        workdir = Path(tmp)
        for step in (
            lambda: bench_ack(sim, slack, workdir),
            lambda: bench_filers(sim),
            lambda: bench_poller(workdir),
            lambda: bench_poller(workdir, pccs=10, expansion=True),
            lambda: bench_startup(sim, slack, workdir),
            lambda: bench_plan(sim, slack, workdir),
            lambda: bench_burst(sim, slack, workdir),
            lambda: bench_people_during_dispatch(sim, slack, workdir),
            lambda: bench_replicas(sim, slack, workdir),
        ):
            found = step()
            for line in found:  # as they come: a later failure loses nothing
                print(" | ".join(line), flush=True)
            rows += found
    slack.stop()
    sim.stop()
    header: Row = ("figure", "pcc-bot", "reference", "ratio")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print()
    for shown in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(width) for cell, width in zip(shown, widths, strict=True)))
    print(f"\n(machine: {os.cpu_count()} cores, Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
