"""A local OVHcloud API simulator: the real paths and JSON shapes of the public API
(held to the public schema captures by tests/contract/test_schema_contract.py).

It checks python-ovh's request signatures, serves a documented demo inventory (docs/api.md, "Demo
inventory"), advances replication tasks over time at a configurable speed, and injects faults.
Used by `pcc-bot console`, `pcc-bot simulator` and the tests. Nothing here is used against the
real API.
"""

from bot.demo.simulator.inventory import (
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
from bot.demo.simulator.server import SimulatorServer
from bot.demo.simulator.state import Call, Fault, SimTask, Simulator, busiest_minute

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
    "busiest_minute",
    "demo_inventory",
    "filer_record",
    "large_pcc",
]
