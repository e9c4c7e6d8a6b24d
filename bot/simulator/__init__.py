"""A local OVHcloud API simulator: the real paths and JSON shapes of reference/ovh-api.md.

It checks python-ovh's request signatures, serves a documented demo inventory (README, "Demo
inventory"), advances replication tasks over time at a configurable speed, and injects faults.
Used by `pcc-bot console`, `pcc-bot simulator` and the tests. Nothing here is used against the
real API.
"""

from bot.simulator.inventory import (
    DEMO_APPLICATION_KEY,
    DEMO_APPLICATION_SECRET,
    DEMO_CONSUMER_KEY,
    FAILING_FILER_ID,
    REMOVAL_SECONDS,
    REPLICATION_SECONDS,
    demo_inventory,
    filer_record,
    large_pcc,
)
from bot.simulator.server import SimulatorServer
from bot.simulator.state import Call, Fault, SimTask, Simulator

__all__ = [
    "DEMO_APPLICATION_KEY",
    "DEMO_APPLICATION_SECRET",
    "DEMO_CONSUMER_KEY",
    "FAILING_FILER_ID",
    "REMOVAL_SECONDS",
    "REPLICATION_SECONDS",
    "Call",
    "Fault",
    "SimTask",
    "Simulator",
    "SimulatorServer",
    "demo_inventory",
    "filer_record",
    "large_pcc",
]
