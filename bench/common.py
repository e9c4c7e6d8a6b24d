"""What the benchmarks share: the bot's import path, the simulator's credentials, percentiles."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapters.ovh.gateway import OvhCredentials  # noqa: E402
from bot.demo.samples import sample_draft  # noqa: E402
from bot.demo.simulator import (  # noqa: E402
    DEMO_APPLICATION_KEY,
    DEMO_APPLICATION_SECRET,
    DEMO_CONSUMER_KEY,
    SimulatorServer,
)
from bot.domain import RequestDraft  # noqa: E402

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
    return sample_draft(filer_id, now, dest=dest)
