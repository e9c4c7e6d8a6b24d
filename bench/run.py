"""`make bench`: pcc-bot's figures, each against a reference measured in the same run.

Everything runs on this machine: the bot serving HTTP on 127.0.0.1, the OVHcloud simulator, the
local Slack stand-in. Method and latest figures: README, "Benchmarks".
"""

from __future__ import annotations

import copy
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import requests
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapters.http.server import HttpServer, SlackWsgi  # noqa: E402
from bot.adapters.ovh.gateway import OvhCredentials, OvhGateway, make_client  # noqa: E402
from bot.adapters.slack import ids  # noqa: E402
from bot.adapters.sqlite.repository import SqliteRepository  # noqa: E402
from bot.app import build_runtime  # noqa: E402
from bot.demo.simulator import (  # noqa: E402
    DEMO_APPLICATION_KEY,
    DEMO_APPLICATION_SECRET,
    DEMO_CONSUMER_KEY,
    REPLICATION_SECONDS,
    Simulator,
    SimulatorServer,
    filer_record,
)
from bot.demo.slack_standin import SlackStandIn, SlackStandInServer  # noqa: E402
from bot.domain import MigrationSpec, RequestDraft, State  # noqa: E402
from bot.ops.config import Config  # noqa: E402
from bot.support.window import SlidingWindow  # noqa: E402
from bot.usecases.ports import Board, Change, MessageRef, Offer  # noqa: E402
from bot.usecases.service import PccService  # noqa: E402
from bot.usecases.settings import ServiceSettings  # noqa: E402

SECRET = "bench-secret"
LATENCY = 0.1
Row = tuple[str, str, str, str]


def credentials(sim: SimulatorServer) -> OvhCredentials:
    return OvhCredentials(sim.url, DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


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

    def metrics(self) -> str:
        return ""


def bench_ack(sim: SimulatorServer, slack: SlackStandInServer, workdir: Path) -> list[Row]:
    config = Config(
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        ovh=credentials(sim),
        db_path=str(workdir / "ack.db"),
        approvers=frozenset({"UBOB"}),
        poll_seconds=3600,
    )
    runtime = build_runtime(config)
    runtime.started = True
    bot = HttpServer(SlackWsgi(runtime.app, runtime, signing_secret=SECRET), "127.0.0.1", 0).start()

    bare = App(
        client=WebClient(token="xoxb-bench", base_url=slack.api_url),
        signing_secret=SECRET,
        token_verification_enabled=False,
    )
    bare.command(ids.COMMAND)(lambda ack: ack())
    bare.action(ids.APPROVE)(lambda ack: ack())
    reference = HttpServer(SlackWsgi(bare, _NoHealth(), signing_secret=SECRET), "127.0.0.1", 0).start()
    try:
        _burst(f"http://127.0.0.1:{reference.port}/slack/events", _bodies(slack.response_url)[:20])  # warm-up
        _burst(f"http://127.0.0.1:{bot.port}/slack/events", _bodies(slack.response_url)[:20])
        runtime.wait_idle(60)
        ref = _burst(f"http://127.0.0.1:{reference.port}/slack/events", _bodies(slack.response_url))
        ours = _burst(f"http://127.0.0.1:{bot.port}/slack/events", _bodies(slack.response_url))
        runtime.wait_idle(120)
        ref_drill = _drill(
            f"http://127.0.0.1:{reference.port}/slack/events", reference.port, slack.response_url
        )
        drill = _drill(f"http://127.0.0.1:{bot.port}/slack/events", bot.port, slack.response_url)
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


# ---------------------------------------------------------------- 2. filers listing


def bench_filers(sim: SimulatorServer) -> list[Row]:
    """`/pcc filers` wall time and calls, with list expansion and without (ids, then one read each)."""
    sim.sim.latency = LATENCY
    rows = []
    for expansion, counts in ((True, (10, 500)), (False, (1, 10, 50, 500))):
        sim.sim.expansion = expansion
        for count in counts:
            service = f"pcc-bench-{count}"
            filers = {9000 + i: filer_record(9000 + i, 1, 10.0, 1) for i in range(count)}
            sim.sim.inventory[service] = {
                "location": "sbg1a",
                "description": "bench",
                "hds": None,
                "pcidss": None,
                "datacenters": {77: {"name": "bench", "commercialName": "SDDC", "filers": filers}},
            }
            gateway = OvhGateway(make_client(credentials(sim)), limiter=SlidingWindow(10_000))
            gateway.get_certifications("pcc-192-0-2-15")  # python-ovh's one /auth/time call, not counted
            before = len(sim.sim.calls)
            started = time.perf_counter()
            listing = gateway.filer_listing(service, 77)
            wall = time.perf_counter() - started
            calls = len(sim.sim.calls) - before
            gateway.close()
            assert len(listing.datacenters[0].filers) == count
            floor = 2 * LATENCY
            how = "expanded" if expansion else "ids only"
            rows.append(
                (
                    f"/pcc filers, {count} filer(s), {how}, {LATENCY * 1000:.0f} ms API latency",
                    f"{wall:.2f} s, {calls} calls",
                    f"floor 2 round trips {floor:.2f} s",
                    f"{wall / floor:.2f}x",
                )
            )
    sim.sim.latency = 0.0
    sim.sim.expansion = True
    return rows


def _draft(filer_id: int, now: datetime, dest: str = "pcc-192-0-2-50") -> RequestDraft:
    """A stored request for a bench filer (the rules were checked elsewhere)."""
    return RequestDraft(
        spec=MigrationSpec("pcc-192-0-2-15", 1337, filer_id, dest, 1515),
        requester="UALICE",
        channel="COPS",
        created_at=now,
        expires_at=now + timedelta(days=1),
        filer_name=f"ssd-{filer_id:06d}",
        filer_size="1 TB",
        vm_total=1,
        source_zone="sbg1a",
        dest_zone="rbx2a",
        api_call="POST",
        route="linkFilerFromSbg",
    )


# ---------------------------------------------------------------- 3. poller with 1,000 tasks


class _Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


class _QuietChat:
    """Notices accepted at once, counted: this figure is about the OVHcloud side."""

    def __init__(self) -> None:
        self.sent = 0

    def post_card(self, request: object) -> MessageRef:
        self.sent += 1
        return MessageRef("COPS", f"1.{self.sent}")

    def update_card(self, request: object) -> None:
        pass

    def upload_private(self, user: str, filename: str, content: str, comment: str) -> None:
        pass

    def post_board(self, channel: str, board: Board) -> MessageRef:
        return MessageRef(channel, "3.1")

    def update_board(self, ref: MessageRef, board: Board) -> None:
        pass

    def post_text(
        self, channel: str, text: str, thread_ts: str | None = None, offer: Offer | None = None
    ) -> MessageRef:
        self.sent += 1
        return MessageRef(channel, f"2.{self.sent}")


class _NoGroups:
    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()


def bench_poller(
    workdir: Path,
    tasks: int = 1000,
    budget: float = 48.0,
    minutes: int = 60,
    pccs: int = 1,
    expansion: bool = False,
) -> list[Row]:
    """``tasks`` replications spread over ``pccs`` destination PCCs, one simulated hour of ticks."""
    sim = SimulatorServer(Simulator(speed=0.0, expansion=expansion)).start()  # time moves only when told
    destinations = [f"pcc-bench-dst-{n}" for n in range(pccs)]
    for name in destinations:
        sim.sim.inventory[name] = copy.deepcopy(sim.sim.inventory["pcc-192-0-2-50"])
    clock = _Clock()
    repo = SqliteRepository(str(workdir / f"poller-{pccs}-{expansion}.db"))
    gateway = OvhGateway(make_client(credentials(sim)), limiter=SlidingWindow(100_000))
    service = PccService(
        gateway=gateway,
        repo=repo,
        notifier=_QuietChat(),
        directory=_NoGroups(),
        settings=ServiceSettings(approvers=frozenset({"UBOB"}), poll_budget_per_minute=budget),
        clock=clock,
    )
    finish_at: dict[int, datetime] = {}
    for i in range(tasks):
        dest = destinations[i % pccs]
        request = repo.add(_draft(100000 + i, clock.now(), dest), card_channel="COPS")
        view = sim.sim.start_copy(dest, 1515, 1234, "linkFilerFromSbg")
        started_ago = REPLICATION_SECONDS * i / tasks  # spread: one finishes every 14.4 s
        sim.sim.tasks[view["taskId"]].started = -started_ago
        finish_at[request.id] = clock.now() + timedelta(seconds=REPLICATION_SECONDS - started_ago)
        repo.transition(
            request.id, State.PENDING, State.APPROVED, Change(actor="UBOB", action="approved"), clock.now()
        )
        repo.transition(
            request.id,
            State.APPROVED,
            State.REPLICATING,
            Change(actor="bench", action="started", fields={"task_id": view["taskId"]}),
            clock.now(),
        )
    service.deliver_notices()
    start, tick = clock.now(), timedelta(seconds=5)
    per_minute: dict[int, int] = {}
    noticed: dict[int, datetime] = {}
    wall = time.perf_counter()
    while clock.now() < start + timedelta(minutes=minutes):
        before = len(sim.sim.calls)
        service.poll_once()
        minute = int((clock.now() - start).total_seconds() // 60)
        made = [c for c in sim.sim.calls[before:] if c.path.startswith("/dedicatedCloud")]  # not /auth/time
        per_minute[minute] = per_minute.get(minute, 0) + len(made)
        for request in repo.in_states([State.DONE]):
            noticed.setdefault(request.id, clock.now())
        clock.moment += tick
        sim.sim.advance(tick.total_seconds())
    wall = time.perf_counter() - wall
    delays = [(noticed[r] - finish_at[r]).total_seconds() for r in noticed]
    gateway.close()
    repo.close()
    sim.stop()
    worst_calls = max(per_minute.values())
    label = f"{tasks} tasks on {pccs} PCC(s), {'expanded task lists' if expansion else 'per-task reads'}"
    if expansion:  # measured against one poll period (60 s) and the whole budget (60/min)
        period, whole = 60.0, 60.0
        return [
            (
                f"poller, {label}: calls in the worst minute",
                f"{worst_calls}",
                f"20 % of {whole:.0f}/min = {whole * 0.2:.0f}",
                f"{worst_calls / (whole * 0.2):.2f}x",
            ),
            (
                f"poller, {label}: median delay task end -> seen ({len(delays)} completions)",
                f"{statistics.median(delays):.0f} s",
                f"one poll period {period:.0f} s",
                f"{statistics.median(delays) / period:.2f}x",
            ),
        ]
    round_robin = tasks / budget * 60  # seconds between two polls of one task when polled in turn
    return [
        (
            f"poller, {label}, {minutes} simulated min ({wall:.0f} s real): calls in the worst minute",
            f"{worst_calls}",
            f"budget {budget:.0f}/min",
            f"{worst_calls / budget:.2f}x",
        ),
        (
            f"poller: median delay task end -> seen ({len(delays)} completions)",
            f"{statistics.median(delays):.0f} s",
            f"round robin {round_robin / 2:.0f} s",
            f"{statistics.median(delays) / (round_robin / 2):.2f}x",
        ),
        (
            "poller: worst delay task end -> seen",
            f"{max(delays):.0f} s",
            f"round robin {round_robin:.0f} s",
            f"{max(delays) / round_robin:.2f}x",
        ),
    ]


# ---------------------------------------------------------------- 4. memory and start-up


_STARTUP = """
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
{body}
elapsed = time.perf_counter() - t0
rss = [int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmRSS')][0]
print(elapsed, rss)
"""

_BOT = """
from dataclasses import replace
from bot.app import build_runtime
from bot.ops.config import Config
from bot.adapters.ovh.gateway import OvhCredentials
config = Config(slack_bot_token='xoxb-x', slack_signing_secret='s', slack_api_url={api!r},
                ovh=OvhCredentials({ovh!r}, 'demo-application-key', 'demo-application-secret',
                                   'demo-consumer-key'),
                db_path={db!r}, approvers=frozenset({{'UBOB'}}), poll_seconds=3600)
runtime = build_runtime(config)
runtime.service.reconcile()
runtime.metrics()
"""

_BARE = """
from slack_bolt import App
from slack_sdk import WebClient
app = App(client=WebClient(token='xoxb-x', base_url={api!r}), signing_secret='s',
          token_verification_enabled=False)
app.command('/pcc')(lambda ack: ack())
"""


def _measure(script: str) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    elapsed, rss = out.stdout.split()
    return float(elapsed), int(rss)


def bench_startup(
    sim: SimulatorServer, slack: SlackStandInServer, workdir: Path, stored: int = 10_000
) -> list[Row]:
    db = str(workdir / "startup.db")
    repo = SqliteRepository(db)
    now = datetime.now(UTC)
    for i in range(stored):
        request = repo.add(
            _draft(i, now),
            card_channel="COPS",
        )
        repo.transition(
            request.id, State.PENDING, State.REJECTED, Change(actor="UBOB", action="rejected"), now
        )
    repo.close()
    bot = _measure(_STARTUP.format(root=str(ROOT), body=_BOT.format(api=slack.api_url, ovh=sim.url, db=db)))
    bare = _measure(_STARTUP.format(root=str(ROOT), body=_BARE.format(api=slack.api_url)))
    return [
        (
            f"start-up with {stored:,} stored requests (imports, migrations, reconcile)",
            f"{bot[0]:.2f} s",
            f"bare Bolt app {bare[0]:.2f} s",
            f"{bot[0] / bare[0]:.2f}x",
        ),
        (
            f"resident memory with {stored:,} stored requests",
            f"{bot[1] / 1024:.1f} MiB",
            f"bare Bolt app {bare[1] / 1024:.1f} MiB",
            f"{bot[1] / bare[1]:.2f}x",
        ),
    ]


def main() -> int:
    import logging

    logging.basicConfig(level=logging.ERROR)
    sim = SimulatorServer(Simulator()).start()
    slack = SlackStandInServer(SlackStandIn()).start()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="pcc-bench-") as tmp:
        workdir = Path(tmp)
        for step in (
            lambda: bench_ack(sim, slack, workdir),
            lambda: bench_filers(sim),
            lambda: bench_poller(workdir),
            lambda: bench_poller(workdir, pccs=10, expansion=True),
            lambda: bench_startup(sim, slack, workdir),
        ):
            found = step()
            for line in found:  # as they come: a later failure loses nothing
                print(" | ".join(line), flush=True)
            rows += found
    slack.stop()
    sim.stop()
    header: Row = ("figure", "pcc-bot", "reference", "ratio")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print()
    for shown in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(width) for cell, width in zip(shown, widths, strict=True)))
    print(f"\n(machine: {os.cpu_count()} cores, Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
