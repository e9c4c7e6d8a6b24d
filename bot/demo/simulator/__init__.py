"""A local OVHcloud API simulator: the real paths and JSON shapes of the public API
(held to the public schema captures by tests/contract/test_schema_contract.py).

It checks python-ovh's request signatures, serves a documented demo inventory (docs/api.md, "Demo
inventory"), advances replication tasks over time at a configurable speed, and injects faults.
Used by `pcc-bot console`, `pcc-bot simulator` and the tests. Nothing here is used against the
real API.
"""

from bot.demo.simulator.inventory import DEMO_APPLICATION_KEY as DEMO_APPLICATION_KEY
from bot.demo.simulator.inventory import DEMO_APPLICATION_SECRET as DEMO_APPLICATION_SECRET
from bot.demo.simulator.inventory import DEMO_CONSUMER_KEY as DEMO_CONSUMER_KEY
from bot.demo.simulator.inventory import FAILING_FILER_ID as FAILING_FILER_ID
from bot.demo.simulator.inventory import REMOVAL_SECONDS as REMOVAL_SECONDS
from bot.demo.simulator.inventory import REPLICATION_SECONDS as REPLICATION_SECONDS
from bot.demo.simulator.inventory import demo_inventory as demo_inventory
from bot.demo.simulator.inventory import filer_record as filer_record
from bot.demo.simulator.inventory import large_pcc as large_pcc
from bot.demo.simulator.server import SimulatorServer as SimulatorServer
from bot.demo.simulator.state import Call as Call
from bot.demo.simulator.state import Fault as Fault
from bot.demo.simulator.state import SimTask as SimTask
from bot.demo.simulator.state import Simulator as Simulator
from bot.demo.simulator.state import busiest_minute as busiest_minute
