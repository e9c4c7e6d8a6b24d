"""Bench 1: ack latency against a bare Bolt app on the same server settings, and under abuse."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import requests
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bench.common import LATENCY, ROOT, SECRET, Row, credentials, draft, percentile  # noqa: F401
from bot.adapters.http.server import HttpServer, SlackWsgi
from bot.adapters.ovh.credentials import OvhCredentials
from bot.adapters.slack import ids
from bot.app import build_runtime
from bot.demo.simulator import (
    DEMO_APPLICATION_KEY,
    DEMO_APPLICATION_SECRET,
    DEMO_CONSUMER_KEY,
    SimulatorServer,
)
from bot.demo.slack_standin import SlackStandInServer
from bot.ops.config import Config

# ---------------------------------------------------------------- 1. ack latency


def _signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body),
    }


def _bodies(response_url: Callable[[], str]) -> list[str]:
    bodies = []
    for i in range(200):
        if i % 2 == 0:
            bodies.append(
                urlencode(
                    {
                        "command": ids.COMMAND,
                        "text": "filers pcc-192-0-2-15 1337",
                        "user_id": "UALICE",
                        "channel_id": "COPS",
                        "team_id": "T0PCC",
                        "response_url": response_url(),
                        "trigger_id": "t",
                    }
                )
            )
        else:
            payload = {
                "type": "block_actions",
                "user": {"id": "UBOB"},
                "team": {"id": "T0PCC"},
                "channel": {"id": "COPS"},
                "response_url": response_url(),
                "trigger_id": "t",
                "actions": [{"action_id": ids.APPROVE, "value": "999999", "type": "button"}],
            }
            bodies.append(urlencode({"payload": json.dumps(payload)}))
    return bodies


def _burst(url: str, bodies: list[str], clients: int = 50) -> list[float]:
    local = threading.local()

    def send(body: str) -> float:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        response = session.post(url, data=body, headers=_signed(body), timeout=30)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} {response.text}")
        return elapsed

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(send, bodies))


class _Abuse:
    """200 idle sockets and one client sending its body a byte every half second, for the drill."""

    def __init__(self, port: int, idle: int = 200) -> None:
        self._sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(idle)]
        self._stop = threading.Event()
        self._slow = threading.Thread(target=self._trickle, args=(port,), daemon=True)
        self._slow.start()

    def _trickle(self, port: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
            while not self._stop.wait(0.5):
                try:
                    sock.sendall(b"x")
                except OSError:
                    return

    def close(self) -> None:
        self._stop.set()
        self._slow.join(5)
        for sock in self._sockets:
            sock.close()


def _drill(url: str, port: int, response_url: Callable[[], str]) -> list[float]:
    """500 signed requests from 100 clients while 200 sockets idle and one trickles its body."""
    abuse = _Abuse(port)
    try:
        bodies = (_bodies(response_url) * 3)[:500]
        return _burst(url, bodies, clients=100)
    finally:
        abuse.close()


class _NoHealth:
    started = True

    def readiness(self) -> dict[str, bool]:
        return {"started": True}

    def warnings(self) -> list[str]:
        return []

    def metrics(self) -> str:
        return ""


_SERVICES = """
import sys, time
sys.path.insert(0, {root!r})
from bot.demo.simulator import Simulator, SimulatorServer
from bot.demo.slack_standin import SlackStandIn, SlackStandInServer
sim = SimulatorServer(Simulator(latency={latency!r})).start()
slack = SlackStandInServer(SlackStandIn()).start()
print(sim.url, slack.base, flush=True)
sys.stdin.read()
"""


@contextmanager
def _services() -> Iterator[tuple[str, str]]:
    """The OVHcloud simulator (answering in LATENCY) and the Slack stand-in in a process of their own,
    as OVHcloud and Slack are other machines: their work does not take the bot's interpreter (they
    would otherwise answer the bot's calls on the same GIL the acks wait for)."""
    script = _SERVICES.format(root=str(ROOT), latency=LATENCY)
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stdin is not None
        sim_url, slack_base = process.stdout.readline().split()
        try:
            yield sim_url, slack_base
        finally:
            process.stdin.close()
            process.wait(10)


def bench_ack(sim: SimulatorServer, slack: SlackStandInServer, workdir: Path) -> list[Row]:
    """``sim`` and ``slack`` (the other benches' servers, in this process) are not used here."""
    with _services() as (sim_url, slack_base):
        return _bench_ack(sim_url, slack_base, workdir)


def _bench_ack(sim_url: str, slack_base: str, workdir: Path) -> list[Row]:
    numbers = itertools.count(1)

    def response_url() -> str:
        return f"{slack_base}/response/{next(numbers)}"

    config = Config(
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=f"{slack_base}/api/",
        ovh=OvhCredentials(sim_url, DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY),
        db_path=str(workdir / "ack.db"),
        approvers=frozenset({"UBOB"}),
        poll_seconds=3600,
    )
    runtime = build_runtime(config)
    runtime.started = True
    wsgi = SlackWsgi(runtime.app, runtime, signing_secret=SECRET)  # as `serve` on SQLite
    bot = HttpServer(wsgi, "127.0.0.1", 0).start()

    bare = App(
        client=WebClient(token="xoxb-bench", base_url=f"{slack_base}/api/"),
        signing_secret=SECRET,
        token_verification_enabled=False,
    )
    bare.command(ids.COMMAND)(lambda ack: ack())
    bare.action(ids.APPROVE)(lambda ack: ack())
    reference = HttpServer(SlackWsgi(bare, _NoHealth(), signing_secret=SECRET), "127.0.0.1", 0).start()
    try:
        _burst(f"http://127.0.0.1:{reference.port}/slack/events", _bodies(response_url)[:20])  # warm-up
        _burst(f"http://127.0.0.1:{bot.port}/slack/events", _bodies(response_url)[:20])
        runtime.wait_idle(60)
        began = time.perf_counter()
        ref = _burst(f"http://127.0.0.1:{reference.port}/slack/events", _bodies(response_url))
        ref_done = time.perf_counter() - began  # the bare app's listeners do nothing after the ack
        began, held = time.perf_counter(), runtime.acks.waited
        runtime.acks.longest = 0.0  # this burst's own
        ours = _burst(f"http://127.0.0.1:{bot.port}/slack/events", _bodies(response_url))
        acked = time.perf_counter() - began
        runtime.wait_idle(120)
        done = time.perf_counter() - began  # the last listing answered, the last click decided
        gave_way, longest = runtime.acks.waited - held, runtime.acks.longest
        ref_drill = _drill(f"http://127.0.0.1:{reference.port}/slack/events", reference.port, response_url)
        drill = _drill(f"http://127.0.0.1:{bot.port}/slack/events", bot.port, response_url)
        runtime.wait_idle(120)
    finally:
        bot.stop()
        reference.stop()
        runtime.close()
    rows = []
    for name, share in (("p50", 0.5), ("p99", 0.99)):
        mine, theirs = percentile(ours, share), percentile(ref, share)
        rows.append(
            (
                f"ack latency {name}, 200 requests / 50 clients",
                f"{mine * 1000:.1f} ms",
                f"bare Bolt app {theirs * 1000:.1f} ms",
                f"{mine / theirs:.2f}x",
            )
        )
    rows.append(
        (
            "same burst: its last answer (listing or decision) after",
            f"{done:.2f} s (acked in {acked:.2f} s)",
            f"bare Bolt app acked in {ref_done:.2f} s",
            f"{done / ref_done:.2f}x",
        )
    )
    rows.append(
        (
            "same burst: the work after its acks gave way to them",
            f"{gave_way:.2f} s in all, {longest * 1000:.0f} ms at most",
            f"bound {runtime.acks.bound * 1000:.0f} ms each",
            f"{longest / runtime.acks.bound:.2f}x",
        )
    )
    for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        mine, theirs = percentile(drill, share), percentile(ref_drill, share)
        rows.append(
            (
                f"ack {name}, 500 req / 100 clients + 200 idle + 1 slow body",
                f"{mine * 1000:.1f} ms",
                f"bare Bolt app {theirs * 1000:.1f} ms",
                f"{mine / theirs:.2f}x",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.ack [runs]`: bench 1 alone, ``runs`` times (3 by default), each run's rows, then
    the median of each figure's ratio."""
    import logging
    import statistics
    import tempfile

    logging.basicConfig(level=logging.ERROR)
    runs = int((argv if argv is not None else sys.argv[1:] or ["3"])[0])
    ratios: dict[str, list[float]] = {}
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="pcc-bench-ack-") as tmp:
            for row in _ack_only(Path(tmp)):
                print(f"run {run + 1}: " + " | ".join(row), flush=True)
                ratios.setdefault(row[0], []).append(float(row[3].rstrip("x")))
    for figure, found in ratios.items():
        shown = ", ".join(f"{r:.2f}" for r in found)
        print(f"median {figure}: {statistics.median(found):.2f}x ({shown})")
    return 0


def _ack_only(workdir: Path) -> list[Row]:
    with _services() as (sim_url, slack_base):
        return _bench_ack(sim_url, slack_base, workdir)


if __name__ == "__main__":
    raise SystemExit(main())
