"""The /metrics scrape of a running bot that has filed, approved and polled a request: read by the
tests (tests/boundary/test_metrics.py) and by `make deploy-check`, which hands it to `promtool check
metrics` (`python -m tests.live_scrape`)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import requests

from bot.adapters.slack import ids
from bot.demo.samples import simulator_config
from bot.demo.simulator import Simulator, SimulatorServer
from bot.demo.slack_standin import SlackStandIn, SlackStandInServer
from tests.helpers import INCIDENT, SIGNING_SECRET, file_request, start_bot, stop_bot


def scrape_of_a_running_bot(simulator: SimulatorServer, slack: SlackStandInServer, folder: Path) -> str:
    config = simulator_config(
        simulator.url,
        slack.api_url,
        str(folder / "pcc-bot.db"),
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        approvers=frozenset({"UBOB"}),
        incident_channel=INCIDENT,
        poll_seconds=3600,
    )
    bot = start_bot(config, slack)
    try:
        request_id = file_request(bot)
        bot.click(ids.APPROVE, str(request_id), user="UBOB")
        bot.settle()
        bot.runtime.poller._poll()  # one cycle, as the scheduler runs it
        return requests.get(f"{bot.url}/metrics", timeout=5).text
    finally:
        stop_bot(bot)


def main() -> int:
    simulator = SimulatorServer(Simulator()).start()
    slack = SlackStandInServer(SlackStandIn()).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            sys.stdout.write(scrape_of_a_running_bot(simulator, slack, Path(folder)))
    finally:
        slack.stop()
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
