"""Bench 2: `/pcc filers` wall time and calls, with list expansion and without."""

from __future__ import annotations

import time

from bench.common import LATENCY, ROOT, SECRET, Row, credentials, draft, percentile  # noqa: F401
from bot.adapters.ovh.gateway import SignedOvhGateway, make_client
from bot.demo.simulator import (
    SimulatorServer,
    filer_record,
)
from bot.support.window import SlidingWindow

# ---------------------------------------------------------------- 2. filers listing


def bench_filers(sim: SimulatorServer) -> list[Row]:
    """`/pcc filers` wall time and calls, with list expansion and without (ids, then one read each)."""
    sim.sim.latency = LATENCY
    rows = []
    for expansion, counts in ((True, (10, 500)), (False, (1, 10, 50, 500))):
        sim.sim.expansion = expansion
        for count in counts:
            service = f"pcc-bench-{count}"
            filers = {9000 + i: filer_record(9000 + i, 1, 10.0, 1) for i in range(count)}
            sim.sim.inventory[service] = {
                "location": "sbg1a",
                "description": "bench",
                "hds": None,
                "pcidss": None,
                "datacenters": {77: {"name": "bench", "commercialName": "SDDC", "filers": filers}},
            }
            gateway = SignedOvhGateway(make_client(credentials(sim)), limiter=SlidingWindow(10_000))
            gateway.get_certifications("pcc-192-0-2-15")  # python-ovh's one /auth/time call, not counted
            before = len(sim.sim.calls)
            started = time.perf_counter()
            listing = gateway.filer_listing(service, 77)
            wall = time.perf_counter() - started
            calls = len(sim.sim.calls) - before
            gateway.close()
            assert len(listing.datacenters[0].filers) == count
            floor = (1 if expansion else 2) * LATENCY  # one concurrent round; or ids, then details
            how = "expanded" if expansion else "ids only"
            rows.append(
                (
                    f"/pcc filers, {count} filer(s), {how}, {LATENCY * 1000:.0f} ms API latency",
                    f"{wall:.2f} s, {calls} calls",
                    f"floor {1 if expansion else 2} round trip(s) {floor:.2f} s",
                    f"{wall / floor:.2f}x",
                )
            )
    sim.sim.latency = 0.0
    sim.sim.expansion = True
    return rows
