"""The background jobs: task polling (PCC_POLL_SECONDS) and notice delivery (every few seconds).

Each process keeps its own in-process ticker (APScheduler 3 must never share a job store); the
scheduled work runs on the leader only, asked at every tick, so that with several replicas on one
PostgreSQL one of them polls and a survivor takes over within a tick of the leader's end. Notice
delivery runs everywhere: each notice is claimed by one replica (the outbox's lease)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler

from bot.support.metrics import Metrics
from bot.usecases.service import PccService

log = logging.getLogger(__name__)

DELIVERY_SECONDS = 5
TICK_SECONDS = 5


class Leadership(Protocol):
    def leads(self) -> bool: ...


class Poller:
    def __init__(
        self,
        service: PccService,
        poll_seconds: int,
        metrics: Metrics,
        leader: Leadership,
        sync: Callable[[], object] | None = None,
    ) -> None:
        self._service = service
        self._metrics = metrics
        self._leader = leader
        self._sync = sync
        self.poll_seconds = poll_seconds
        self.leading = False
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self.last_poll: float | None = None
        self._created = time.monotonic()
        first = datetime.now(UTC) + timedelta(seconds=1)
        # One run at a time; a run missed while the previous one was slow is skipped, not queued.
        options = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        # Short ticks: the planner decides, task by task, which one is due (bot/domain/polling.py).
        tick = min(poll_seconds, TICK_SECONDS)
        self._scheduler.add_job(
            self._poll, "interval", seconds=tick, id="poll", next_run_time=first, **options
        )
        self._scheduler.add_job(self._deliver, "interval", seconds=DELIVERY_SECONDS, id="deliver", **options)
        self._scheduler.add_job(self._keep_time, "interval", seconds=TICK_SECONDS, id="clock", **options)

    def take_lead(self) -> bool:
        """Ask for the lead (kept while held); True when this process runs the scheduled work."""
        was, self.leading = self.leading, self._leader.leads()
        if self.leading != was:
            log.info("this replica %s the scheduled work", "runs" if self.leading else "no longer runs")
        return self.leading

    def _poll(self) -> None:
        started = time.monotonic()
        try:
            if self.take_lead():
                self._service.poll_once()
        finally:
            self.last_poll = time.monotonic()
            self._metrics.poll_duration.set(self.last_poll - started)
            self._metrics.poll_cycles.inc()

    def healthy(self) -> bool:
        """The ticker ran within three periods (or the bot started less than three periods ago)."""
        reference = self.last_poll if self.last_poll is not None else self._created
        return time.monotonic() - reference < 3 * self.poll_seconds + 30

    def _keep_time(self) -> None:
        """Follow the database's clock (replicas), and ask for the lead even while a long poll runs:
        the leader's session is never idle long enough for the server to end it."""
        if self._sync is not None:
            self._sync()
        self.take_lead()

    def _deliver(self) -> None:
        self._service.deliver_notices()

    def start(self) -> None:
        self._scheduler.start()

    def stop(self, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
