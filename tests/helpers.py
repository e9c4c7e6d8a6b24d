"""What the tests share: constants, signed Slack requests, the bot running in this process or as
real processes (`serve --http`), and the steps many tests take (file a request, find a button)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from bot.adapters.http.server import HttpServer, SlackWsgi
from bot.adapters.slack import ids
from bot.app import Runtime, build_runtime
from bot.demo.rehearse import healthy
from bot.demo.simulator import (
    DEMO_APPLICATION_KEY,
    DEMO_APPLICATION_SECRET,
    DEMO_CONSUMER_KEY,
    SimulatorServer,
)
from bot.demo.slack_standin import SlackStandInServer
from bot.domain import State
from bot.ops.config import Config
from tests import scrape

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


class Bots:
    """Bots started one after another on one configuration and Slack stand-in (a restart is a stop and
    a start on the same database); whatever still runs at the end of the test is stopped."""

    def __init__(self, config: Config, slack: SlackStandInServer) -> None:
        self._config, self._slack = config, slack
        self._running: list[RunningBot] = []

    def start(self) -> RunningBot:
        self._running.append(start_bot(self._config, self._slack))
        return self._running[-1]

    def restart(self, bot: RunningBot) -> RunningBot:
        self.stop(bot)
        return self.start()

    def stop(self, bot: RunningBot) -> None:
        self._running.remove(bot)
        stop_bot(bot)

    def stop_all(self) -> None:
        while self._running:
            self.stop(self._running[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


MIGRATE = "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515"


POST_ROUTE = r"/linkFilerFromSbg$"


def file_request(bot: RunningBot, text: str = MIGRATE, user: str = "UALICE") -> int:
    response = bot.command(text, user=user)
    assert response.status_code == 200
    bot.settle()
    cards = bot.slack.standin.calls_to("chat.postMessage")
    assert cards, bot.replies()
    return int(cards[-1].args["blocks"][-1]["elements"][0]["value"])


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
    assert bot.runtime.repo.requests.get(request_id).state == State.FAILED
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
    if healthy(proc, port, seconds=20):
        return proc
    proc.kill()
    raise AssertionError("the bot did not become healthy")


class Serving:
    def __init__(self, folder: Path, simulator, slack, *, capture: bool = False, **extra: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.ops_port = free_port()
        self.env = process_env(
            simulator,
            slack,
            str(folder / "bot.db"),
            SLACK_BOT_TOKEN="xoxb-test-token",
            SLACK_SIGNING_SECRET="shh",
            PCC_APPROVERS="UBOB,UCAROL",
            PCC_POLL_SECONDS="1",
            PCC_OPS_BIND=f"127.0.0.1:{self.ops_port}",
            **extra,
        )
        self.cwd, self.slack, self.capture = folder, slack, capture
        self.proc = self.start()

    def start(self) -> subprocess.Popen[str]:
        return serve_http(self.env, self.cwd, self.port, capture=self.capture)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def post(self, fields: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, str]:
        """Sign and send; returns the headers sent (to send the very same request again)."""
        body = urlencode(fields)
        headers = headers or signed_headers(body, secret="shh")
        url = f"http://127.0.0.1:{self.port}/slack/events"
        assert requests.post(url, data=body, headers=headers, timeout=10).ok
        return headers

    def command(self, text: str, user: str = "UALICE") -> str:
        """Run ``/pcc text``; returns the response_url its answer goes to."""
        response_url: str = self.slack.response_url()
        self.post(
            {
                "command": "/pcc",
                "text": text,
                "user_id": user,
                "channel_id": CHANNEL,
                "team_id": "T0PCC",
                "response_url": response_url,
                "trigger_id": "1.2.x",
            }
        )
        return response_url

    def click(self, action_id: str, value: str, user: str) -> None:
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": "T0PCC"},
            "api_app_id": "A1",
            "channel": {"id": CHANNEL},
            "response_url": self.slack.response_url(),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time()}",
                }
            ],
        }
        self.post({"payload": json.dumps(payload)})

    def metrics(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.ops_port}/metrics", timeout=5).text

    def leads(self) -> bool:
        return scrape.total(self.metrics(), "pcc_leader") == 1


class BudgetTime:
    """The call budget's clock: a sleep moves it at once, so a minute of budget passes in no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
