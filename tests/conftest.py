"""The tests' fixtures: the OVHcloud simulator, the Slack stand-in, the bot serving HTTP, a clock, a
world of fakes; PostgreSQL comes from tests/databases.py. Helpers live in tests/helpers.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.demo.samples import simulator_config
from bot.demo.simulator import (
    Simulator,
    SimulatorServer,
)
from bot.demo.slack_standin import SlackStandIn, SlackStandInServer
from bot.ops.config import Config
from tests.fakes import FakeClock
from tests.helpers import (
    APPROVER_GROUP,
    INCIDENT,
    SIGNING_SECRET,
    Bots,
    RunningBot,
    start_bot,
    stop_bot,
)
from tests.world import World

pytest_plugins = ["tests.databases"]


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    server = SimulatorServer(Simulator()).start()
    yield server
    server.stop()


@pytest.fixture
def slack() -> Iterator[SlackStandInServer]:
    server = SlackStandInServer(SlackStandIn(usergroups={APPROVER_GROUP: ["UCAROL"]})).start()
    yield server
    server.stop()


@pytest.fixture
def config(tmp_path: Path, simulator: SimulatorServer, slack: SlackStandInServer) -> Config:
    return simulator_config(
        simulator.url,
        slack.api_url,
        str(tmp_path / "pcc-bot.db"),
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        approvers=frozenset({"UBOB", APPROVER_GROUP}),
        incident_channel=INCIDENT,
        poll_seconds=3600,  # tests drive polling themselves
    )


@pytest.fixture
def bot(config: Config, slack: SlackStandInServer) -> Iterator[RunningBot]:
    running = start_bot(config, slack)
    yield running
    stop_bot(running)


@pytest.fixture
def bots(config: Config, slack: SlackStandInServer) -> Iterator[Bots]:
    """For tests that stop and start the bot: each start on the same configuration and database."""
    started = Bots(config, slack)
    yield started
    started.stop_all()


@pytest.fixture
def running(config: Config, slack: SlackStandInServer) -> Iterator[Callable[..., RunningBot]]:
    """Starts a bot on the configuration with some settings changed (``running(read_only=True)``); each
    is stopped at the end."""
    started: list[RunningBot] = []

    def run(**changes: Any) -> RunningBot:
        bot = start_bot(replace(config, **changes), slack)
        started.append(bot)
        return bot

    yield run
    for bot in started:
        stop_bot(bot)


@pytest.fixture
def clock() -> FakeClock:
    """The bot's clock, moved by the test (the simulator's task clock moves with sim.advance)."""
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def timed_bot(config: Config, slack: SlackStandInServer, clock: FakeClock) -> Iterator[RunningBot]:
    running = start_bot(config, slack, clock=clock)
    yield running
    stop_bot(running)


@pytest.fixture
def world() -> World:
    """The use cases over in-memory fakes and an in-memory SQLite database."""
    return World()
