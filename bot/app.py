"""The composition root: the only place that wires Bolt, the adapters, the service and the jobs."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

import handlers
from bot.adapters.ovh.gateway import OvhGateway, make_client
from bot.adapters.slack.notifier import SlackDirectory, SlackNotifier
from bot.adapters.sql.leader import AdvisoryLeader, Alone, leadership
from bot.adapters.sql.repository import SqlRepository
from bot.adapters.sql.shared import DatabaseBudget
from bot.domain import PccBotError, State
from bot.ops.config import Config
from bot.scheduler import Poller
from bot.support.executor import TrackingExecutor
from bot.support.metrics import Counters, Family, exposition
from bot.support.window import SlidingWindow
from bot.usecases.ports import Clock
from bot.usecases.service import PccService
from bot.usecases.settings import ServiceSettings
from handlers.wiring import Wiring

log = logging.getLogger(__name__)


#: A person's read waits this long for the budget (told once that it is queued) before the answer says
#: when to try again; Slack's response_url stays usable for 30 minutes.
READ_WAIT_SECONDS = 300.0
#: OVHcloud counts calls as they arrive, pcc-bot as they leave: a second of margin on the minute keeps
#: latency jitter from putting one call too many in some minute of theirs.
OVH_WINDOW_SECONDS = 61.0

#: What this process counts (bot/support/metrics.py Counters), each exported with its kind and meaning.
PROCESS_METRICS: dict[str, tuple[str, str]] = {
    "pcc_ovh_calls_total": ("counter", "OVHcloud API calls by method and route."),
    "pcc_ovh_errors_total": ("counter", "OVHcloud API errors by method, route and status."),
    "pcc_ovh_throttled_total": (
        "counter",
        "OVHcloud calls not sent because the call budget had no room in time, by method and route.",
    ),
    "pcc_poll_cycles_total": ("counter", "Task polling cycles run."),
    "pcc_poll_duration_seconds": ("gauge", "Duration of the last task polling cycle."),
}


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Runtime:
    config: Config
    app: App
    service: PccService
    repo: SqlRepository
    gateway: OvhGateway
    poller: Poller
    listeners: TrackingExecutor  # Bolt's listeners: they only ack and hand over to the two below
    commands: TrackingExecutor  # what a command does after its ack: reads, filings, the form's lists
    clicks: TrackingExecutor  # what a button click does after its ack: decisions, never behind reads
    counters: Counters
    leader: Alone | AdvisoryLeader = field(default_factory=Alone)
    started: bool = field(default=False)
    slack_connected: Callable[[], bool] = field(default=lambda: True)

    def readiness(self) -> dict[str, bool]:
        """What /readyz reports: every check must be true for the bot to take work."""
        try:
            self.repo.count_by_state()
            database = True
        except PccBotError:
            database = False
        return {
            "started": self.started,
            "slack": self.slack_connected(),
            "database": database,
            "poller": self.poller.healthy(),
        }

    def leads(self) -> bool:
        """This replica runs the scheduled work now (always, on SQLite)."""
        return self.poller.leading

    def metrics(self) -> str:
        by_state = self.repo.count_by_state()
        counted: dict[str, list[tuple[dict[str, str], float]]] = {}
        for name, labels, value in self.counters.samples():
            counted.setdefault(name, []).append((labels, value))
        families: list[Family] = [
            (
                "pcc_requests",
                "gauge",
                "Requests by state.",
                [({"state": state.value}, float(by_state.get(state.value, 0))) for state in State],
            ),
            (
                "pcc_approvals_total",
                "counter",
                "Requests approved since the database was created.",
                [({}, float(self.repo.count_actions("approved")))],
            ),
            (
                "pcc_notice_backlog",
                "gauge",
                "Chat notices queued and not yet accepted by Slack.",
                [({}, float(self.repo.pending_notice_count()))],
            ),
            (
                "pcc_leader",
                "gauge",
                "1 when this replica runs the scheduled work (polling, reminders, boards), else 0.",
                [({"replica": self.service.replica}, 1.0 if self.leads() else 0.0)],
            ),
            (
                "pcc_notices_dead_total",
                "counter",
                "Chat notices Slack refused for good (dead-lettered, never retried).",
                [({}, float(self.repo.dead_notice_count()))],
            ),
        ]
        for name, (kind, text) in PROCESS_METRICS.items():  # every one, even before its first count
            families.append((name, kind, text, counted.pop(name, [({}, 0.0)])))
        families.extend((name, "counter", name, samples) for name, samples in sorted(counted.items()))
        return exposition(families)

    def start_background(self) -> None:
        """Reconcile what a previous run left half-done (the leader does; on a shared database, a
        follower leaves it to the leader's ticks), then start polling."""
        if self.poller.take_lead():
            self.service.reconcile()
        self.poller.start()
        self.started = True

    def wait_idle(self, timeout: float) -> bool:
        """True once no listener and no work after an ack is running or queued."""
        deadline = time.monotonic() + timeout
        while True:
            idle = all(
                pool.wait_idle(max(0.0, deadline - time.monotonic()))
                for pool in (self.listeners, self.commands, self.clicks)
            )
            if idle and all(pool.wait_idle(0) for pool in (self.listeners, self.commands, self.clicks)):
                return True  # and none handed work to another meanwhile (a click starting a dispatch)
            if time.monotonic() >= deadline:
                return False

    def close(self, timeout: float = 6.0) -> None:
        """Stop taking work, let in-flight work finish for ``timeout`` seconds, then refuse every
        OVHcloud call still waiting for the budget (nothing is sent late) and release resources.
        Work still running after that (a call with no answer yet) is left to end with the process:
        a request it leaves in a calling state is settled by reading at the next start."""
        self.wait_idle(timeout)
        self.gateway.close()
        self.poller.stop(wait=False)
        settled = self.wait_idle(2.0)
        for pool in (self.listeners, self.commands, self.clicks):
            pool.shutdown(wait=False, cancel_futures=True)
        self.leader.close()  # another replica takes the lead at its next tick
        if settled:
            self.repo.close()
        else:
            log.warning("work still running after %.0f s is left to end with the process", timeout + 2)


def socket_mode_handler(runtime: Runtime, app_token: str, ping_interval: float = 10) -> Any:
    """Bolt's built-in Socket Mode adapter (no extra dependency), wired to the runtime's health."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(runtime.app, app_token=app_token, ping_interval=ping_interval)
    runtime.slack_connected = handler.client.is_connected
    return handler


def build_runtime(
    config: Config,
    *,
    clock: Clock | None = None,
    ovh_client: Any = None,
    work_threads: int = 32,
    slack_timeout: int = 10,
    db_busy_timeout: float = 5.0,
    get_backoff_seconds: float = 0.5,
    read_wait_seconds: float = READ_WAIT_SECONDS,
    budget_time: tuple[Callable[[], float], Callable[[float], None]] | None = None,
) -> Runtime:
    """``budget_time`` (clock, sleep) drives the call budget's window: tests pass a simulated minute."""
    web_client = WebClient(token=config.slack_bot_token, base_url=config.slack_api_url, timeout=slack_timeout)
    listeners = TrackingExecutor(max_workers=8, thread_name_prefix="listener")
    commands = TrackingExecutor(max_workers=work_threads, thread_name_prefix="command")
    clicks = TrackingExecutor(max_workers=4, thread_name_prefix="click")
    app = App(
        client=web_client,
        signing_secret=config.slack_signing_secret or "",
        listener_executor=listeners,
        token_verification_enabled=False,  # auth.test on the first request, not at import or build
    )
    settings = ServiceSettings(
        approvers=config.approvers,
        readers=config.readers,
        incident_channel=config.incident_channel,
        policy=config.policy,
        approval_policy=config.approval_policy,
        approval_ttl=config.approval_ttl,
        read_only=config.read_only,
        poll_period=timedelta(seconds=config.poll_seconds),
        poll_budget_per_minute=config.ovh_rate * 0.8,
        stall_after=timedelta(seconds=config.stall_seconds),
        replica=f"{socket.gethostname()}-{os.getpid()}",
        shared_database=config.shared_database,
    )
    counters = Counters()
    repo = SqlRepository(config.database, busy_timeout=db_busy_timeout)
    # The key's budget is every replica's: on a shared database, counted there too.
    shared = DatabaseBudget(repo, OVH_WINDOW_SECONDS, settings.replica) if config.shared_database else None
    gateway = OvhGateway(
        ovh_client if ovh_client is not None else make_client(config.ovh),
        migration_route=config.migration_api,
        backoff_seconds=get_backoff_seconds,
        max_wait_seconds=read_wait_seconds,
        mutation_wait_seconds=settings.call_timeout.total_seconds() * 0.75,
        inventory_ttl_seconds=config.inventory_ttl,
        counters=counters,
        # A reserve for mutating calls; between people, work-conserving round robin.
        limiter=SlidingWindow(
            config.ovh_rate,
            *(budget_time or (time.monotonic, None)),
            reserve=max(2, config.ovh_rate // 10),
            window=OVH_WINDOW_SECONDS,
            shared=shared,
        ),
    )
    service = PccService(
        gateway=gateway,
        repo=repo,
        notifier=SlackNotifier(web_client),
        directory=SlackDirectory(web_client),
        settings=settings,
        clock=clock or SystemClock(),
        background=commands.submit,  # the form's lists load there, never on a listener thread
    )
    handed = Wiring(service=service, commands=commands, clicks=clicks)
    handlers.register(app, handed, allowed_channels=config.allowed_channels)
    leader = leadership(config.database)
    poller = Poller(service, config.poll_seconds, counters, leader)
    return Runtime(
        config=config,
        app=app,
        service=service,
        repo=repo,
        gateway=gateway,
        poller=poller,
        listeners=listeners,
        commands=commands,
        clicks=clicks,
        counters=counters,
        leader=leader,
    )
