"""The database's clock, read through this host's: the service's clock when replicas share PostgreSQL.

Every time one replica writes and another compares (a call's ``called_at`` and its timeout, a doubt's
``in_doubt_since``, an outbox claim's lease, a notice's next attempt) is then on one clock, whatever
the hosts' clocks say. ``now()`` is the host's clock plus an offset measured against the database's
``clock_timestamp()`` at start and at every tick (a read of a few milliseconds); between two
measurements the host's clock runs on, so ``now()`` never waits for the database and never fails."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain import PccBotError
from bot.usecases.ports import Clock

log = logging.getLogger(__name__)

#: A replica whose clock is further than this from the database's is reported (doctor, /readyz).
MAX_SKEW_SECONDS = 5.0
#: A measurement whose round trip took longer than this is too vague to replace a better one.
MAX_ROUND_TRIP_SECONDS = 1.0


class DatabaseClock:
    """``Clock`` on the database's time. ``database`` answers the database's time (epoch seconds)."""

    def __init__(self, host: Clock, database: Callable[[], float]) -> None:
        self._host = host
        self._database = database
        self._offset: float | None = None  # database minus host, in seconds
        self._lock = threading.Lock()
        self._warned = False

    def now(self) -> datetime:
        return self._host.now() + timedelta(seconds=self._offset or 0.0)

    @property
    def skew(self) -> float | None:
        """How far this host's clock is ahead of the database's (seconds; None before a measurement)."""
        return None if self._offset is None else -self._offset

    def sync(self) -> float | None:
        """Measure the offset again; keeps the last one when the database cannot answer. Returns the
        host's skew (see ``skew``)."""
        with self._lock:
            try:
                before = self._host.now()
                database = self._database()
                after = self._host.now()
            except PccBotError as error:
                log.warning("the database's clock could not be read (%s); keeping the last offset", error)
                return self.skew
            trip = (after - before).total_seconds()
            if self._offset is None or trip <= MAX_ROUND_TRIP_SECONDS:
                self._offset = database - (before.timestamp() + trip / 2)
            self._report()
            return self.skew

    def _report(self) -> None:
        skew = self.skew or 0.0
        off = abs(skew) > MAX_SKEW_SECONDS
        if off and not self._warned:
            log.warning(
                "this host's clock is %+.1f s off the database's: pcc-bot follows the database's, "
                "but fix NTP on this host",
                skew,
            )
        self._warned = off

    def in_step(self) -> bool:
        """False when this host's clock is further than MAX_SKEW_SECONDS from the database's."""
        skew = self.skew
        return skew is None or abs(skew) <= MAX_SKEW_SECONDS
