"""The background jobs: task polling (PCC_POLL_SECONDS) and notice delivery (every few seconds)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.service import PccService

log = logging.getLogger(__name__)

DELIVERY_SECONDS = 5


class Poller:
    def __init__(self, service: PccService, poll_seconds: int) -> None:
        self._service = service
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self.last_poll: float | None = None
        first = datetime.now(UTC) + timedelta(seconds=1)
        # One run at a time; a run missed while the previous one was slow is skipped, not queued.
        options = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        self._scheduler.add_job(
            self._poll, "interval", seconds=poll_seconds, id="poll", next_run_time=first, **options
        )
        self._scheduler.add_job(self._deliver, "interval", seconds=DELIVERY_SECONDS, id="deliver", **options)

    def _poll(self) -> None:
        try:
            self._service.poll_once()
        finally:
            self.last_poll = time.monotonic()

    def _deliver(self) -> None:
        self._service.deliver_notices()

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
