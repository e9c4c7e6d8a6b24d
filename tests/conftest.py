"""Process-boundary fixtures: the bot serving HTTP, a fake Slack Web API, the OVHcloud simulator."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from slack_sdk.signature import SignatureVerifier

from bot.adapters.http.server import HttpServer, SlackWsgi
from bot.adapters.slack import ids
from bot.app import Runtime, build_runtime
from bot.demo.samples import simulator_config
from bot.demo.simulator import (
    DEMO_APPLICATION_KEY,
    DEMO_APPLICATION_SECRET,
    DEMO_CONSUMER_KEY,
    Simulator,
    SimulatorServer,
)
from bot.demo.slack_standin import SlackStandIn, SlackStandInServer
from bot.domain import State
from bot.ops.config import Config
from tests.fakes import FakeClock
from tests.world import World

pytest_plugins = ["tests.databases"]

SIGNING_SECRET = "test-signing-secret"
CHANNEL = "COPS"
INCIDENT = "CINCIDENT"
APPROVER_GROUP = "SONCALL"


def signed_headers(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


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


@dataclass
class RunningBot:
    """The bot serving HTTP on 127.0.0.1, as Slack would reach it."""

    runtime: Runtime
    url: str
    slack: SlackStandInServer
    server: HttpServer

    def post(self, body: str, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.post(
            f"{self.url}/slack/events",
            data=body.encode("utf-8"),
            headers=headers if headers is not None else signed_headers(body),
            timeout=10,
        )

    def command(self, text: str, user: str = "UALICE", channel: str = CHANNEL) -> requests.Response:
        body = urlencode(
            {
                "token": "legacy",
                "team_id": "T0PCC",
                "team_domain": "acme",
                "channel_id": channel,
                "channel_name": "ops",
                "user_id": user,
                "user_name": user.lower(),
                "command": ids.COMMAND,
                "text": text,
                "api_app_id": "A1",
                "is_enterprise_install": "false",
                "response_url": self.slack.response_url(),
                "trigger_id": "1.2.x",
            }
        )
        return self.post(body)

    def click(self, action_id: str, value: str, user: str, channel: str = CHANNEL) -> requests.Response:
        payload = {
            "type": "block_actions",
            "token": "legacy",
            "api_app_id": "A1",
            "trigger_id": "1.2.y",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0PCC"},
            "team": {"id": "T0PCC", "domain": "acme"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "ops"},
            "container": {
                "type": "message",
                "message_ts": "1.1",
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "state": {"values": {}},
            "response_url": self.slack.response_url(),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": f"decide-{value}",
                    "value": value,
                    "type": "button",
                    "action_ts": "1.2",
                }
            ],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def settle(self) -> None:
        """Wait for listeners still running after their ack."""
        assert self.runtime.wait_idle(timeout=20)

    def replies(self) -> list[str]:
        return [str(c.args.get("text")) for c in self.slack.standin.calls_to("response_url")]


def start_bot(
    config: Config, slack: SlackStandInServer, background: bool = True, **options: Any
) -> RunningBot:
    runtime = build_runtime(config, get_backoff_seconds=0.0, **options)
    wsgi = SlackWsgi(runtime.app, runtime, signing_secret=config.slack_signing_secret, ops=True)
    server = HttpServer(wsgi, "127.0.0.1", 0).start()
    if background:
        runtime.service.reconcile()
        runtime.started = True
    return RunningBot(runtime, f"http://127.0.0.1:{server.port}", slack, server)


def stop_bot(bot: RunningBot) -> None:
    bot.server.stop()
    bot.runtime.close()


@pytest.fixture
def bot(config: Config, slack: SlackStandInServer) -> Iterator[RunningBot]:
    running = start_bot(config, slack)
    yield running
    stop_bot(running)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def clock() -> FakeClock:
    """The bot's clock, moved by the test (the simulator's task clock moves with sim.advance)."""
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def timed_bot(config: Config, slack: SlackStandInServer, clock: FakeClock) -> Iterator[RunningBot]:
    running = start_bot(config, slack, clock=clock)
    yield running
    stop_bot(running)


# ---------------------------------------------------------------- shared helpers

MIGRATE = "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515"
POST_ROUTE = r"/linkFilerFromSbg$"


def file_request(bot: RunningBot, text: str = MIGRATE, user: str = "UALICE") -> int:
    response = bot.command(text, user=user)
    assert response.status_code == 200
    bot.settle()
    cards = bot.slack.standin.calls_to("chat.postMessage")
    assert cards, bot.replies()
    return int(cards[-1].args["blocks"][-1]["elements"][0]["value"])


@pytest.fixture
def world() -> World:
    """The use cases over in-memory fakes and an in-memory SQLite database."""
    return World()


def process_env(
    simulator: SimulatorServer, slack: SlackStandInServer, db_path: str, **extra: str
) -> dict[str, str]:
    """The environment of a `pcc-bot` process against the simulator and the Slack stand-in."""
    return {
        **os.environ,
        "SLACK_API_URL": slack.api_url,
        "OVH_ENDPOINT": simulator.url,
        "OVH_APPLICATION_KEY": DEMO_APPLICATION_KEY,
        "OVH_APPLICATION_SECRET": DEMO_APPLICATION_SECRET,
        "OVH_CONSUMER_KEY": DEMO_CONSUMER_KEY,
        "PCC_APPROVERS": "UBOB",
        "PCC_DB_PATH": db_path,
        "PCC_OPS_BIND": "127.0.0.1:0",  # any free port: processes never collide
        **extra,
    }


def failed_request(bot: RunningBot, simulator: SimulatorServer) -> int:
    """A request whose replication ended in `error` (the simulator fails filer 1240 halfway)."""
    request_id = file_request(bot, "migrate pcc-192-0-2-15 1338 1240 pcc-192-0-2-50 1515")
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    simulator.sim.advance(3 * 3600)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.get(request_id).state == State.FAILED
    return request_id


def offered_value(bot: RunningBot, action_id: str, channel: str = CHANNEL) -> str:
    """The value of the newest ``action_id`` button posted or edited in ``channel``: what a person
    clicking it there sends."""
    for call in reversed(bot.slack.standin.calls):
        if call.status == 200 and call.args.get("channel") == channel:
            for block in call.args.get("blocks") or []:
                for element in block.get("elements", []) if block.get("type") == "actions" else []:
                    if element.get("action_id") == action_id:
                        return str(element["value"])
    raise AssertionError(f"no {action_id} button in {channel}")


def serve_http(env: dict[str, str], cwd: Path, port: int, *, capture: bool = False) -> subprocess.Popen[str]:
    """`pcc-bot serve --http` on 127.0.0.1:``port`` as a real process, once its /healthz answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the bot did not become healthy")
