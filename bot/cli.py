"""Command line: `pcc-bot serve | console | simulator | run`."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType, ModuleType
from typing import TYPE_CHECKING

from bot.domain import PccBotError
from bot.ops import config as config_module
from bot.support import logs

if TYPE_CHECKING:  # the entry point imports the heavy pieces only when a command needs them
    from bot.adapters.http.server import HttpServer
    from bot.app import Runtime
    from bot.ops.config import Config

log = logging.getLogger("pcc-bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pcc-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the Slack bot (Socket Mode, or HTTP with --http)")
    serve.add_argument("--http", action="store_true", help="serve POST /slack/events over HTTP")
    serve.add_argument(
        "--host",
        default="0.0.0.0",
        help="HTTP bind address (default 0.0.0.0); in Socket Mode it serves /healthz, /readyz and /metrics",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "3000")),
        help="HTTP port (default $PORT or 3000)",
    )
    console = sub.add_parser("console", help="the bot in a terminal, against the built-in simulator")
    console.add_argument("--as", dest="user", default="alice", help="act as this user (default alice)")
    console.add_argument(
        "--speed",
        type=float,
        default=720.0,
        help="simulated replication speed-up (default 720: 4 hours in 20 s)",
    )
    console.add_argument("--db", default=None, help="SQLite file (default: a fresh temporary one)")
    sim = sub.add_parser("simulator", help="the OVHcloud API simulator as an HTTP server")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8080)
    sim.add_argument("--speed", type=float, default=1.0, help="replication speed-up (default 1)")
    sim.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    sim.add_argument(
        "--filers", type=int, default=0, help="add pcc-192-0-2-99 (sbg1a) with this many datastores"
    )
    sim.add_argument(
        "--ids-only", action="store_true", help="list routes answer ids only (no list expansion)"
    )
    sub.add_parser("run", help="serve when Slack tokens are set, else the console (`make run`)")
    sub.add_parser(
        "doctor", help="check Slack, OVHcloud, the database and the approvers; say what is missing"
    )
    sub.add_parser("credentials", help="request an OVHcloud consumer key limited to the routes pcc-bot calls")
    return parser


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


#: A stop never takes longer than this (orchestrators kill at 10 s or later).
STOP_DEADLINE_SECONDS = 9.0


def _exit_if_stuck(seconds: float) -> None:
    """Ends the process after ``seconds`` if a clean stop has not: a call with no answer yet holds a
    thread. Every request it touched is in the database, in a state the next start settles."""

    def hard_exit() -> None:
        log.warning(
            "still stopping after %.0f s (a call is still waiting for its answer): exiting now", seconds
        )
        logging.shutdown()
        os._exit(1)

    timer = threading.Timer(seconds, hard_exit)
    timer.daemon = True
    timer.start()


def listeners(
    runtime: Runtime, cfg: Config, http: bool, host: str, port: int
) -> tuple[HttpServer, HttpServer]:
    """The public listener on host:port (Slack's traffic in HTTP mode, and /healthz) and the operations
    listener on PCC_OPS_BIND (/readyz and /metrics, behind PCC_OPS_TOKEN when set), in both modes."""
    from bot.adapters.http.server import HttpServer, SlackWsgi

    events = SlackWsgi(runtime.app if http else None, runtime, signing_secret=cfg.slack_signing_secret)
    ops_host, ops_port = config_module.split_bind(cfg.ops_bind)
    ops = SlackWsgi(None, runtime, ops=True, ops_token=cfg.ops_token)
    return HttpServer(events, host, port).start(), HttpServer(ops, ops_host, ops_port).start()


def serve(http: bool, host: str, port: int) -> int:
    from bot.app import build_runtime

    cfg = config_module.load()
    logs.setup(cfg.log_level, cfg.log_format)
    cfg.require_for_serve(http)
    runtime = build_runtime(cfg)
    stop = _stop_event()
    front, ops = listeners(runtime, cfg, http, host, port)
    handler = None
    if http:
        runtime.start_background()
        log.info("serving HTTP on %s:%s (POST /slack/events, /healthz)", host, front.port)
    else:
        from bot.app import socket_mode_handler

        assert cfg.slack_app_token is not None  # checked by require_for_serve
        handler = socket_mode_handler(runtime, cfg.slack_app_token)
        runtime.start_background()
        handler.connect()
        log.info("connected to Slack in Socket Mode; /healthz on %s:%s", host, front.port)
    log.info("operations on %s (/healthz, /readyz, /metrics)", ops.address)
    stop.wait()
    _exit_if_stuck(STOP_DEADLINE_SECONDS)
    if handler is not None:
        handler.close()
    ops.stop()
    front.stop()
    runtime.close()
    log.info("stopped cleanly")
    return 0


def simulator(
    host: str, port: int, speed: float, latency: float, filers: int = 0, ids_only: bool = False
) -> int:
    demo = _demo("simulator")
    logs.setup("INFO")
    sim = demo.Simulator(speed=speed, latency=latency, expansion=not ids_only)
    if filers:
        sim.inventory["pcc-192-0-2-99"] = demo.large_pcc(filers)
    server = demo.SimulatorServer(sim, host=host, port=port)
    stop = _stop_event()
    threading.Thread(target=server.serve_forever, name="simulator", daemon=True).start()
    print(
        f"OVHcloud simulator on {server.url} (application key {demo.DEMO_APPLICATION_KEY}, "
        f"consumer key {demo.DEMO_CONSUMER_KEY}; see README, 'Demo inventory')",
        flush=True,
    )
    stop.wait()
    server.stop()
    return 0


def _demo(name: str) -> ModuleType:
    """A demo piece (console, simulator), which the container image leaves out."""
    try:
        return importlib.import_module(f"bot.demo.{name}")
    except ModuleNotFoundError as error:
        raise PccBotError(
            f"the {name} is not part of this installation (the container image leaves the demo pieces "
            "out): set the Slack tokens and use `pcc-bot serve`"
        ) from error


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            env = config_module.load()
            if env.slack_bot_token and env.slack_app_token:
                return serve(False, "0.0.0.0", 3000)
            if env.slack_bot_token and env.slack_signing_secret:
                return serve(True, "0.0.0.0", int(os.environ.get("PORT", "3000")))
            logs.setup("WARNING")
            console = _demo("console")
            return int(console.run(speed=720.0, user="alice", db_path=None))
        if args.command in ("doctor", "credentials"):
            from bot.ops import doctor

            cfg = config_module.load()
            logs.setup("WARNING")
            action = doctor.doctor if args.command == "doctor" else doctor.request_consumer_key
            return action(cfg, sys.stdout)
        if args.command == "serve":
            return serve(args.http, args.host, args.port)
        if args.command == "console":
            logs.setup("WARNING")
            console = _demo("console")
            return int(console.run(speed=args.speed, user=args.user, db_path=args.db))
        return simulator(args.host, args.port, args.speed, args.latency, args.filers, args.ids_only)
    except PccBotError as error:
        print(f"pcc-bot: {error}", file=sys.stderr)
        return 2
