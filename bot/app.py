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
from slack_sdk.errors import SlackApiError

import handlers
from bot.adapters.ovh.gateway import SignedOvhGateway, make_client
from bot.adapters.slack.notifier import SlackDirectory, SlackNotifier
from bot.adapters.slack.people import SlackPeople
from bot.adapters.sql.clock import MAX_SKEW_SECONDS, DatabaseClock
from bot.adapters.sql.leader import AdvisoryLeader, Alone, leadership
from bot.adapters.sql.repository import SqlRepository
from bot.adapters.sql.shared import DatabaseBudget
from bot.domain import PccBotError
from bot.ops.config import Config
from bot.ops.figures import DatabaseFigures
from bot.ops.measured import MeasuredRepository
from bot.scheduler import Poller
from bot.support.executor import AckGate, TrackingExecutor
from bot.support.metrics import Metrics
from bot.support.pools import PersonQueue
from bot.support.version import version
from bot.support.window import SlidingWindow
from bot.usecases.ports import Clock
from bot.usecases.service import PccService
from bot.usecases.settings import ServiceSettings
from handlers.wiring import PER_PERSON, RESPONSE_URL_SECONDS, Wiring

log = logging.getLogger(__name__)


#: A person's read waits this long for the budget (told once that it is queued) before the answer says
#: when to try again; Slack's response_url stays usable for 30 minutes.
READ_WAIT_SECONDS = 300.0
#: OVHcloud counts calls as they arrive, pcc-bot as they leave: a second of margin on the minute keeps
#: latency jitter from putting one call too many in some minute of theirs.
OVH_WINDOW_SECONDS = 61.0


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Runtime:
    config: Config
    app: App
    service: PccService
    repo: SqlRepository
    gateway: SignedOvhGateway
    poller: Poller
    listeners: TrackingExecutor  # Bolt's listeners: they only ack and hand over to the two below
    commands: TrackingExecutor  # what a command does after its ack when it calls OVHcloud: reads, filings
    clicks: TrackingExecutor  # what a button click does after its ack: decisions, never behind reads
    meters: Metrics  # this process' metrics, and the leader's database-wide figures
    #: What a command that calls no OVHcloud does after its ack (list, status, cancel, help...).
    quick: TrackingExecutor = field(default_factory=lambda: TrackingExecutor(4, thread_name_prefix="quick"))
    leader: Alone | AdvisoryLeader = field(default_factory=Alone)
    #: Acks in flight over HTTP (bot/adapters/http/server.py); the three pools above give way to them.
    acks: AckGate = field(default_factory=AckGate)
    database_clock: DatabaseClock | None = None  # replicas on PostgreSQL: the service's clock
    started: bool = field(default=False)
    slack_connected: Callable[[], bool] = field(default=lambda: True)

    def readiness(self) -> dict[str, bool]:
        """What /readyz reports: every check must be true for the bot to take work."""
        try:
            self.repo.requests.count_by_state()
            database = True
        except PccBotError:
            database = False
        return {
            "started": self.started,
            "slack": self.slack_connected(),
            "database": database,
            "poller": self.poller.healthy(),
        }

    def warnings(self) -> list[str]:
        """What /readyz reports without failing: the bot works, but something wants fixing."""
        clock = self.database_clock
        if clock is None or clock.in_step():
            return []
        return [
            f"this host's clock is {clock.skew or 0.0:+.1f} s off the database's (over "
            f"{MAX_SKEW_SECONDS:.0f} s): pcc-bot follows the database's; fix NTP on this host"
        ]

    def leads(self) -> bool:
        """This replica runs the scheduled work now (always, on SQLite)."""
        return self.poller.leading

    def metrics(self) -> str:
        """The Prometheus text of /metrics."""
        return self.meters.exposition().decode()

    def observe_ack(self, seconds: float) -> None:
        """A signed Slack request answered over HTTP in ``seconds`` (bot/adapters/http/server.py)."""
        self.meters.ack_seconds.observe(seconds)

    def start_background(self) -> None:
        """Reconcile what a previous run left half-done (the leader does; on a shared database, a
        follower leaves it to the leader's ticks), then start polling."""
        if self.poller.take_lead():
            self.service.reconcile()
        self.poller.start()
        self.started = True

    @property
    def pools(self) -> tuple[TrackingExecutor, ...]:
        return (self.listeners, self.commands, self.quick, self.clicks)

    def wait_idle(self, timeout: float) -> bool:
        """True once no listener and no work after an ack is running or queued."""
        deadline = time.monotonic() + timeout
        while True:
            idle = all(pool.wait_idle(max(0.0, deadline - time.monotonic())) for pool in self.pools)
            if idle and all(pool.wait_idle(0) for pool in self.pools):
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
        for pool in self.pools:
            pool.shutdown(wait=False, cancel_futures=True)
        self.leader.close()  # another replica takes the lead at its next tick
        if settled:
            self.repo.close()
        else:
            log.warning("work still running after %.0f s is left to end with the process", timeout + 2)


def tell_elsewhere(client: WebClient, user: str | None, channel: str | None, text: str) -> None:
    """A word for ``user`` once their command's response_url has expired: an ephemeral message in the
    channel, else a direct message."""
    if user is None:
        return
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
    except SlackApiError as error:
        log.info("no ephemeral in %s (%s): a direct message instead", channel, error.response.get("error"))
    try:
        client.chat_postMessage(channel=user, text=text)
    except SlackApiError as error:
        log.warning("%s could not be told that their command came too late: %s", user, error)


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
    host_clock: Clock | None = None,
    ovh_client: Any = None,
    work_threads: int = 32,
    slack_timeout: int = 10,
    db_busy_timeout: float = 5.0,
    get_backoff_seconds: float = 0.5,
    read_wait_seconds: float = READ_WAIT_SECONDS,
    budget_time: tuple[Callable[[], float], Callable[[float], None]] | None = None,
    per_person: int = PER_PERSON,
    response_url_seconds: float = RESPONSE_URL_SECONDS,
) -> Runtime:
    """``clock``: the service's clock as given (tests drive time with it); by default this host's, or on
    a shared database the database's, followed through ``host_clock`` (this host's unless given).
    ``budget_time`` (clock, sleep) drives the call budget's window: tests pass a simulated minute.
    ``per_person``: OVHcloud-bound commands one person may have queued or running; past
    ``response_url_seconds`` in the queue, a command is told in the channel instead of run."""
    web_client = WebClient(token=config.slack_bot_token, base_url=config.slack_api_url, timeout=slack_timeout)
    listeners = TrackingExecutor(max_workers=8, thread_name_prefix="listener")
    acks = AckGate()  # the work after an ack gives way to the acks in flight, two seconds at most
    commands = TrackingExecutor(max_workers=work_threads, thread_name_prefix="command", gate=acks)
    clicks = TrackingExecutor(max_workers=4, thread_name_prefix="click", gate=acks)
    quick = TrackingExecutor(max_workers=4, thread_name_prefix="quick", gate=acks)
    app = App(
        client=web_client,
        signing_secret=config.slack_signing_secret or "",
        listener_executor=listeners,
        token_verification_enabled=False,  # auth.test on the first request, not at import or build
        name="pcc-bot",  # unnamed, Bolt reads the whole stack's source files for one (70 ms at start)
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
        locale=config.locale,
    )
    meters = Metrics(version(), settings.replica)
    host = host_clock or SystemClock()
    # Replicas compare each other's times (calls, doubts, claims): on a shared database, one clock.
    database_clock = None
    if clock is None and config.shared_database:
        database_clock = DatabaseClock(host, lambda: repo.database_time())
    service_clock = clock or database_clock or host
    repo = MeasuredRepository(config.database, db_busy_timeout, meters, service_clock)
    if database_clock is not None:
        database_clock.sync()
    # The key's budget is every replica's: on a shared database, counted there too. On SQLite the window
    # is this process's (counting it in the file would make every call wait on whoever holds a write lock).
    shared = (
        DatabaseBudget(repo.budget, OVH_WINDOW_SECONDS, settings.replica) if config.shared_database else None
    )
    gateway = SignedOvhGateway(
        ovh_client if ovh_client is not None else make_client(config.ovh),
        migration_route=config.migration_api,
        backoff_seconds=get_backoff_seconds,
        max_wait_seconds=read_wait_seconds,
        mutation_wait_seconds=settings.call_timeout.total_seconds() * 0.75,
        inventory_ttl_seconds=config.inventory_ttl,
        metrics=meters,
        # A reserve for mutating calls; between people, work-conserving round robin.
        limiter=SlidingWindow(
            config.ovh_rate,
            *(budget_time or (time.monotonic, None)),
            reserve=max(2, config.ovh_rate // 10),
            window=OVH_WINDOW_SECONDS,
            shared=shared,
        ),
    )
    people = SlackPeople(web_client, fallback=config.locale)
    service = PccService(
        gateway=gateway,
        repo=repo,
        notifier=SlackNotifier(web_client, config.locale),
        directory=SlackDirectory(web_client),
        settings=settings,
        clock=service_clock,
        background=commands.submit,  # the form's lists load there, never on a listener thread
        people=people,  # a direct message in its person's language
    )
    handed = Wiring(
        service=service,
        commands=commands,
        clicks=clicks,
        quick=quick,
        locale_of=people.locale,
        locale_known=people.known,
        queue=PersonQueue(per_person),
        response_life=response_url_seconds,
        elsewhere=lambda user, channel, text: tell_elsewhere(web_client, user, channel, text),
    )
    handlers.register(app, handed, allowed_channels=config.allowed_channels)
    leader = leadership(config.database)
    poller = Poller(
        service, config.poll_seconds, meters, leader, sync=database_clock.sync if database_clock else None
    )
    # On a shared database, the leader alone exports what every replica would read alike.
    leads = (lambda: poller.leading) if config.shared_database else (lambda: True)
    paused = lambda: service.switch.current() is not None  # noqa: E731 - read at each scrape
    meters.register(DatabaseFigures(repo, settings.replica, leads, service_clock.now, paused))
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
        quick=quick,
        meters=meters,
        leader=leader,
        acks=acks,
        database_clock=database_clock,
    )
