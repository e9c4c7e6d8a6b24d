"""Command line: `pcc-bot serve | console | simulator | rehearse | run | doctor | credentials | manifest
| db`."""

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

from bot import cli_setup
from bot.domain import PccBotError
from bot.ops import config as config_module
from bot.ops import dbtools
from bot.support import logs
from bot.support.i18n import LOCALES
from bot.support.version import version

if TYPE_CHECKING:  # the entry point imports the heavy pieces only when a command needs them
    from bot.adapters.http.server import HttpServer
    from bot.app import Runtime
    from bot.ops.config import Config

log = logging.getLogger("pcc-bot")


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (0 to 65535)")
    return int(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pcc-bot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pcc-bot {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="run the Slack bot (Socket Mode, or HTTP with --http)",
        description="Run the Slack bot. Its public listener (--host, --port) serves /healthz, and in HTTP "
        "mode POST /slack/events; /readyz and /metrics are on the operations listener only "
        "(PCC_OPS_BIND, default 127.0.0.1:9102), in both modes.",
    )
    serve.add_argument("--http", action="store_true", help="serve POST /slack/events over HTTP")
    serve.add_argument(
        "--host",
        default="0.0.0.0",
        help="bind address of the public listener (default 0.0.0.0): /healthz, and POST /slack/events "
        "with --http; /readyz and /metrics listen on PCC_OPS_BIND",
    )
    serve.add_argument("--port", type=_port, default=None, help="HTTP port (default $PORT, else 3000)")
    console = sub.add_parser("console", help="the bot in a terminal, against the built-in simulator")
    console.add_argument("--as", dest="user", default="alice", help="act as this user (default alice)")
    console.add_argument(
        "--speed",
        type=float,
        default=cli_setup.DEMO_SPEED,
        help=f"simulated replication speed-up (default {cli_setup.DEMO_SPEED:g}: a 4-hour copy in two "
        "minutes, long enough to see its expected end)",
    )
    console.add_argument("--db", default=None, help="SQLite file (default: a fresh temporary one)")
    console.add_argument(
        "--locale", choices=LOCALES, default=None, help="the bot's language (default $PCC_LOCALE, else en)"
    )
    sim = sub.add_parser("simulator", help="the OVHcloud API simulator as an HTTP server")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=_port, default=8080)
    sim.add_argument("--speed", type=float, default=1.0, help="replication speed-up (default 1)")
    sim.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    sim.add_argument(
        "--filers", type=int, default=0, help="add pcc-192-0-2-99 (sbg1a) with this many datastores"
    )
    sim.add_argument(
        "--ids-only", action="store_true", help="list routes answer ids only (no list expansion)"
    )
    sim.add_argument(
        "--without-copy-routes",
        action="store_true",
        help="its API description (/1.0/dedicatedCloud.json) leaves out linkFilerFromSbg, copyFiler and "
        "copyFilerStatus, as OVHcloud may one day: `pcc-bot doctor` then says they are absent",
    )
    sub.add_parser("run", help="serve when Slack tokens are set, else the console (`make run`)")
    cli_setup.add_setup_commands(sub)
    dbtools.add_parser(sub)
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

    events = SlackWsgi(
        runtime.app if http else None,
        runtime,
        signing_secret=cfg.slack_signing_secret,
        # Replicas: in the database, so that a replay reaching another replica is caught too. One
        # process: in its memory, as good and without a write per request (ack latency).
        replays=runtime.repo.replays if cfg.shared_database else None,
        clock=runtime.database_clock,  # replicas: timestamps on the database's clock, as replays are
    )
    ops_host, ops_port = config_module.split_bind(cfg.ops_bind)
    ops = SlackWsgi(None, runtime, ops=True, ops_token=cfg.ops_token)
    return HttpServer(events, host, port).start(), HttpServer(ops, ops_host, ops_port).start()


def serve(http: bool, host: str, port: int | None, cfg: Config | None = None) -> int:
    from bot.app import build_runtime
    from bot.ops import preflight

    cfg = cfg or config_module.load()
    logs.setup(cfg.log_level, cfg.log_format)
    cfg.require_for_serve(http)
    preflight.check_credentials(cfg)  # made-up credentials stop here, not at the first call
    port = cfg.port if port is None else port
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
        if not handler.client.is_connected():
            raise PccBotError("Slack did not accept the Socket Mode connection: check SLACK_APP_TOKEN")
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


def simulator(args: argparse.Namespace) -> int:
    demo = _demo("simulator")
    logs.setup("INFO")
    sim = demo.Simulator(speed=args.speed, latency=args.latency, expansion=not args.ids_only)
    sim.describes_copy_routes = not args.without_copy_routes
    filers, host, port = args.filers, args.host, args.port
    if filers:
        sim.inventory["pcc-192-0-2-99"] = demo.large_pcc(filers)
    server = demo.SimulatorServer(sim, host=host, port=port)
    stop = _stop_event()
    threading.Thread(target=server.serve_forever, name="simulator", daemon=True).start()
    print(
        f"OVHcloud simulator on {server.url} (application key {demo.DEMO_APPLICATION_KEY}, "
        f"consumer key {demo.DEMO_CONSUMER_KEY}; see docs/api.md, 'Demo inventory')",
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


def run(cfg: Config) -> int:
    """`make run`: Slack when its tokens are set, the console when none is; half of them is an error
    naming what is missing (never the demo by surprise)."""
    if cfg.slack_bot_token and cfg.slack_app_token:
        print(f"pcc-bot: serving Slack in Socket Mode (/healthz on port {cfg.port})", file=sys.stderr)
        return serve(False, "0.0.0.0", None, cfg)
    if cfg.slack_bot_token and cfg.slack_signing_secret:
        print(f"pcc-bot: serving Slack over HTTP on port {cfg.port} (POST /slack/events)", file=sys.stderr)
        return serve(True, "0.0.0.0", None, cfg)
    if cfg.slack_bot_token:
        raise PccBotError(
            "SLACK_BOT_TOKEN is set, but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET "
            "(HTTP mode): set one to serve Slack, or unset SLACK_BOT_TOKEN for the console"
        )
    if cfg.slack_app_token or cfg.slack_signing_secret:
        which = "SLACK_APP_TOKEN" if cfg.slack_app_token else "SLACK_SIGNING_SECRET"
        raise PccBotError(
            f"{which} is set, but SLACK_BOT_TOKEN (xoxb-) is missing: set it to serve Slack, or unset "
            f"{which} for the console"
        )
    print(
        "pcc-bot: no Slack token set: running the console against the built-in OVHcloud simulator",
        file=sys.stderr,
    )
    logs.setup("WARNING")
    return int(
        _demo("console").run(speed=cli_setup.DEMO_SPEED, user="alice", db_path=None, locale=cfg.locale)
    )


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "manifest":
        from bot.ops.manifest import http_manifest

        sys.stdout.write(http_manifest(args.http))
        return 0
    cfg = config_module.load()  # checked once, whatever the command: every problem listed at once
    for warning in config_module.unknown_variables():
        print(f"pcc-bot: warning: {warning}", file=sys.stderr)
    if args.command == "rehearse":
        if args.speed <= 0:
            raise PccBotError(f"--speed must be above 0, got {args.speed:g}")
        return int(_demo("rehearse").run(speed=args.speed, user=args.user))
    if args.command == "run":
        return run(cfg)
    if args.command in ("doctor", "credentials"):
        from bot.ops import doctor

        logs.setup("WARNING")
        logs.quiet_libraries()
        action = doctor.doctor if args.command == "doctor" else doctor.request_consumer_key
        return action(cfg, sys.stdout)
    if args.command == "serve":
        return serve(args.http, args.host, args.port, cfg)
    if args.command == "db":
        return dbtools.run(args, cfg, sys.stdout)
    if args.command == "console":
        if args.speed <= 0:
            raise PccBotError(f"--speed must be above 0, got {args.speed:g}")
        logs.setup("WARNING")
        console = _demo("console")
        return int(
            console.run(
                speed=args.speed,
                user=args.user,
                db_path=args.db,
                locale=args.locale or cfg.locale,
                policy=cfg.approval_policy,
            )
        )
    if args.speed <= 0 or args.latency < 0:
        raise PccBotError("--speed must be above 0 and --latency at least 0")
    return simulator(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Every failure from outside (configuration, a busy port, Slack refusing a token, no network,
    a database that cannot be opened) is one line and a non-zero exit; the trace at LOG_LEVEL=DEBUG."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except PccBotError as error:
        return _fail(str(error), error)
    except OSError as error:  # a busy or forbidden port, no network
        where = f" ({error.filename})" if getattr(error, "filename", None) else ""
        return _fail(f"{error.strerror or error}{where}: {_os_hint(error)}", error)
    except Exception as error:  # noqa: BLE001 - the one line for a cause outside: Slack refusing a token
        return _fail(_outside(error), error)


def _fail(message: str, error: BaseException) -> int:
    print(f"pcc-bot: {message}", file=sys.stderr)
    if os.environ.get("LOG_LEVEL", "").upper() == "DEBUG":
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    return 2 if isinstance(error, PccBotError) else 1


def _os_hint(error: OSError) -> str:
    import errno

    if error.errno == errno.EADDRINUSE:
        return "the port is taken; stop what listens there, or set PORT (serve: --port, PCC_OPS_BIND)"
    if error.errno == errno.EACCES:
        return "this user may not listen there; use a port above 1024"
    return "check the network and the addresses in the configuration"


def _outside(error: Exception) -> str:
    from slack_sdk.errors import SlackApiError

    if isinstance(error, SlackApiError):
        code = error.response.get("error") if error.response is not None else "unknown"
        hint = {
            "invalid_auth": "the token is not valid (revoked, or from another app)",
            "not_authed": "no token was sent",
            "not_allowed_token_type": "SLACK_APP_TOKEN must be an app-level token with connections:write",
        }.get(str(code), "see Slack's documentation for this error code")
        return f"Slack refused the request: {code}: {hint}"
    name = type(error).__name__
    return f"{name}: {error} (LOG_LEVEL=DEBUG shows where)"
