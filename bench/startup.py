"""Bench 4: start-up time and memory with 10,000 stored requests, against a bare Bolt app."""

from __future__ import annotations

import compileall
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.common import LATENCY, ROOT, SECRET, Row, credentials, draft, percentile  # noqa: F401
from bot.adapters.sql.repository import SqlRepository
from bot.adapters.sql.rows import iso
from bot.adapters.sql.store import text
from bot.demo.simulator import (
    SimulatorServer,
)
from bot.demo.slack_standin import SlackStandInServer
from bot.domain import State
from bot.usecases.ports import Change

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


def compile_bytecode() -> None:
    """The bot's bytecode, as the image has it (pip compiles a package when it installs it): a source
    checkout run under PYTHONDONTWRITEBYTECODE (this image's setting, and this machine's) would compile
    every module of the bot at each start, which no deployed bot does; the bare app's libraries are
    compiled already."""
    for folder in ("bot", "handlers"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def _measure(script: str) -> tuple[float, int]:
    compile_bytecode()
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    elapsed, rss = out.stdout.split()
    return float(elapsed), int(rss)


def store_requests(database: str, count: int) -> None:
    """``count`` decided requests in the database (a SQLite path or a PostgreSQL URL), their notices
    delivered long ago, as in a bot that has run for a while: start-up is not a backlog's delivery."""
    repo = SqlRepository(database)
    now = datetime.now(UTC)
    for i in range(count):
        request = repo.requests.add(draft(i, now), card_channel="COPS")
        repo.requests.transition(
            request.id, State.PENDING, State.REJECTED, Change(actor="UBOB", action="rejected"), now
        )
    with repo._store.write() as conn:
        conn.execute(text("UPDATE notices SET sent_at = :at WHERE sent_at IS NULL"), {"at": iso(now)})
    repo.close()


def bench_startup(
    sim: SimulatorServer, slack: SlackStandInServer, workdir: Path, stored: int = 10_000
) -> list[Row]:
    db = str(workdir / "startup.db")
    store_requests(db, stored)
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
