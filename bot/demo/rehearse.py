"""`pcc-bot rehearse`: the real server, rehearsed with no Slack account and no OVHcloud account.

`pcc-bot serve --http` runs as its own process, exactly as in production (waitress, the signature check
first, the database, the poller); OVHcloud is the simulator, called with signed requests; Slack is the
local stand-in (its Web API and the response URLs). What a person types becomes what Slack would send:
a slash command or a button click, form-encoded and signed with the signing secret, POSTed to
/slack/events. Each answer of the server and each message Slack would have received is shown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import requests

from bot.demo.console import Screen, repl
from bot.demo.simulator import (
    DEMO_APPLICATION_KEY,
    DEMO_APPLICATION_SECRET,
    DEMO_CONSUMER_KEY,
    Simulator,
    SimulatorServer,
)
from bot.demo.slack_standin import SlackStandIn, SlackStandInServer
from bot.demo.terminal import APPROVER_GROUP, CHANNEL, INCIDENT_CHANNEL, Terminal, user_id
from bot.domain import PccBotError

#: How long the stand-in stays quiet before the next line is read (the bot answers after its ack).
QUIET_SECONDS = 0.8
PREFIXES = ("PCC_", "SLACK_", "OVH_", "LOG_", "PORT")


def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:timestamp:body")."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Rehearsal(Terminal):
    """Slack's side of the conversation: each typed line POSTed, signed, to the real server."""

    events_url: str = ""
    signing_secret: str = ""
    out: Any = None
    session: requests.Session = field(default_factory=requests.Session)

    def _dispatch(self, body: dict[str, Any]) -> str:
        if body.get("type") in ("block_actions", "view_submission"):
            form = urlencode({"payload": json.dumps(body)})
        else:
            form = urlencode(body)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(self.signing_secret, stamp, form),
        }
        before = len(self.standin.standin.calls)
        answer = self.session.post(self.events_url, data=form, headers=headers, timeout=30)
        shown = f": {answer.text.strip()[:200]}" if answer.text.strip() else ""
        if self.out is not None:
            self.out(f"(signed POST /slack/events: the server answered {answer.status_code}{shown})")
        self._wait_quiet(before)
        return answer.text.strip()

    def _wait_quiet(self, before: int, longest: float = 20.0) -> None:
        """Until the stand-in has received something and then nothing for QUIET_SECONDS."""
        deadline = time.monotonic() + longest
        seen, since = before, time.monotonic()
        while time.monotonic() < deadline:
            now = len(self.standin.standin.calls)
            if now != seen:
                seen, since = now, time.monotonic()
            elif now > before and time.monotonic() - since >= QUIET_SECONDS:
                return
            time.sleep(0.05)


def server_env(sim: SimulatorServer, standin: SlackStandInServer, folder: str, secret: str) -> dict[str, str]:
    """The server's environment: the rehearsal's own settings only (none of this shell's)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)},
        "SLACK_BOT_TOKEN": "xoxb-rehearsal",
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": standin.api_url,
        "OVH_ENDPOINT": sim.url,
        "OVH_APPLICATION_KEY": DEMO_APPLICATION_KEY,
        "OVH_APPLICATION_SECRET": DEMO_APPLICATION_SECRET,
        "OVH_CONSUMER_KEY": DEMO_CONSUMER_KEY,
        "PCC_APPROVERS": f"{user_id('bob')},{APPROVER_GROUP}",
        "PCC_INCIDENT_CHANNEL": INCIDENT_CHANNEL,
        "PCC_POLL_SECONDS": "2",
        "PCC_DB_PATH": str(Path(folder) / "rehearsal.db"),
        "PCC_OPS_BIND": f"127.0.0.1:{free_port()}",
        "LOG_LEVEL": "WARNING",
    }


def healthy(server: subprocess.Popen[Any], port: int, *, seconds: float) -> bool:
    """Whether the server on 127.0.0.1:``port`` answers /healthz within ``seconds`` (False as soon as
    its process ends)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return True
        except requests.ConnectionError:
            time.sleep(0.05)
    return False


def start_server(env: dict[str, str], folder: str, port: int) -> subprocess.Popen[bytes]:
    """`pcc-bot serve --http` as a process of its own, once its /healthz answers."""
    command = [sys.executable, "-m", "bot", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)]
    log = open(Path(folder) / "serve.log", "wb")  # noqa: SIM115 - the process writes it until it ends
    server = subprocess.Popen(command, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    if healthy(server, port, seconds=60):
        return server
    server.kill()
    said = (Path(folder) / "serve.log").read_text(errors="replace").strip().splitlines()[-1:]
    raise PccBotError(f"`pcc-bot serve --http` did not start: {' '.join(said) or 'no output'}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()  # SIGTERM: the server's own clean stop
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run(speed: float, user: str, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> int:
    screen = Screen(stdout, methods=True)
    sim = SimulatorServer(Simulator(speed=speed)).start()
    standin = SlackStandInServer(
        SlackStandIn(usergroups={APPROVER_GROUP: [user_id("carol")]}, listener=screen.show)
    ).start()
    workdir = tempfile.TemporaryDirectory(prefix="pcc-rehearsal-")
    secret = secrets.token_hex(16)
    port = free_port()
    try:
        server = start_server(server_env(sim, standin, workdir.name, secret), workdir.name, port)
    except BaseException:
        standin.stop()
        sim.stop()
        workdir.cleanup()
        raise
    screen.out(
        f"pcc-bot rehearsal: `pcc-bot serve --http` (pid {server.pid}) on http://127.0.0.1:{port}, "
        f"checking every request's signature;\nOVHcloud simulator at {sim.url} (replication x{speed:g}); "
        f"Slack stand-in at {standin.api_url} (what Slack receives is shown, channel {CHANNEL} is #ops).\n"
        f"You are {user}. Try: filers pcc-192-0-2-15 · type ? for the commands."
    )
    rehearsal = Rehearsal(
        standin,
        user,
        events_url=f"http://127.0.0.1:{port}/slack/events",
        signing_secret=secret,
        out=screen.out,
    )
    try:
        repl(rehearsal, screen, stdin)
    finally:
        stop_server(server)
        standin.stop()
        sim.stop()
        workdir.cleanup()
    return 0
