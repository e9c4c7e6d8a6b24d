"""The background jobs: task polling (PCC_POLL_SECONDS) and notice delivery (every few seconds)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.support.metrics import Counters
from bot.usecases.service import PccService

log = logging.getLogger(__name__)

DELIVERY_SECONDS = 5
TICK_SECONDS = 5


class Poller:
    def __init__(self, service: PccService, poll_seconds: int, counters: Counters) -> None:
        self._service = service
        self._counters = counters
        self.poll_seconds = poll_seconds
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

    def _poll(self) -> None:
        started = time.monotonic()
        try:
            self._service.poll_once()
        finally:
            self.last_poll = time.monotonic()
            self._counters.set("pcc_poll_duration_seconds", self.last_poll - started)
            self._counters.inc("pcc_poll_cycles_total")

    def healthy(self) -> bool:
        """The poller ran within three periods (or the bot started less than three periods ago)."""
        reference = self.last_poll if self.last_poll is not None else self._created
        return time.monotonic() - reference < 3 * self.poll_seconds + 30

    def _deliver(self) -> None:
        self._service.deliver_notices()

    def start(self) -> None:
        self._scheduler.start()

    def stop(self, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
