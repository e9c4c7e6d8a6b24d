"""What the benchmarks share: the bot's import path, the simulator's credentials, percentiles."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapters.ovh.gateway import OvhCredentials  # noqa: E402
from bot.demo.simulator import (  # noqa: E402
    DEMO_APPLICATION_KEY,
    DEMO_APPLICATION_SECRET,
    DEMO_CONSUMER_KEY,
    SimulatorServer,
)
from bot.domain import MigrationSpec, RequestDraft  # noqa: E402

SECRET = "bench-secret"
LATENCY = 0.1
Row = tuple[str, str, str, str]


def credentials(sim: SimulatorServer) -> OvhCredentials:
    return OvhCredentials(sim.url, DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def draft(filer_id: int, now: datetime, dest: str = "pcc-192-0-2-50") -> RequestDraft:
    """A stored request for a bench filer (the rules were checked elsewhere)."""
    return RequestDraft(
        spec=MigrationSpec("pcc-192-0-2-15", 1337, filer_id, dest, 1515),
        requester="UALICE",
        channel="COPS",
        created_at=now,
        expires_at=now + timedelta(days=1),
        filer_name=f"ssd-{filer_id:06d}",
        filer_size="1 TB",
        vm_total=1,
        source_zone="sbg1a",
        dest_zone="rbx2a",
        api_call="POST",
        route="linkFilerFromSbg",
    )
