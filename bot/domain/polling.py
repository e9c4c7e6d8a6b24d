"""Adaptive polling of replication tasks within a call budget. Pure: no I/O.

Each task (or group of tasks read in one call) gets its own next poll time. After every reading the
planner estimates the task's end from its progress rate and polls again just after it, never later
than the period: a task about to end is read when it should be done, one that barely moves at the
period, or less often when the budget cannot cover every task each period (twice the fair share). A
sliding window caps the poller's share of the OVHcloud budget in any minute; when it is used up, the
tasks whose poll is most overdue go first, and a first reading of a new state is due at once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bot.support.window import SlidingWindow

MIN_GAP = timedelta(seconds=5)
K = TypeVar("K", bound=Hashable)


@dataclass
class _Watch:
    next_at: datetime
    progress: int | None = None
    seen_at: datetime | None = None
    rate: float | None = None  # progress points per second


class PollPlanner:
    def __init__(
        self, period: timedelta, budget_per_minute: float, now: datetime, min_gap: timedelta = MIN_GAP
    ) -> None:
        self._period = period
        self._budget = budget_per_minute
        self._min_gap = min(min_gap, period)
        self._watches: dict[Hashable, _Watch] = {}
        self._origin = now
        self._now = now
        # A sliding window, not a bucket: the poller never takes more than its share in any minute.
        self._budget_window = SlidingWindow(max(1, int(budget_per_minute)), clock=self._seconds)

    def _seconds(self) -> float:
        return (self._now - self._origin).total_seconds()

    def due(self, task_keys: list[K], now: datetime, cost: Callable[[K], int] = lambda _: 1) -> list[K]:
        """The tasks to poll now, most overdue first, as many as the budget allows; ``cost`` says how
        many API calls polling a task takes. A key is anything hashable: a new key (a
        request in a new state) is due at once."""
        self._now = now
        wanted = set(task_keys)
        for key in task_keys:
            self._watches.setdefault(key, _Watch(next_at=now))
        for gone in set(self._watches) - wanted:
            del self._watches[gone]
        overdue = sorted(
            ((self._watches[key].next_at, key) for key in task_keys if self._watches[key].next_at <= now),
            key=lambda pair: pair[0],
        )
        chosen: list[K] = []
        for _, key in overdue:
            if not self._budget_window.try_acquire(cost(key)):
                break
            # Until a reading says otherwise (a failed read says nothing), the next poll is a period away.
            self._watches[key].next_at = now + self._period
            chosen.append(key)
        return chosen

    def observed(self, key: Hashable, progress: int | None, now: datetime) -> timedelta:
        """Record a reading; returns the gap until this task's next poll."""
        watch = self._watches.setdefault(key, _Watch(next_at=now))
        if progress is not None and watch.progress is not None and watch.seen_at is not None:
            elapsed = (now - watch.seen_at).total_seconds()
            if elapsed > 0 and progress >= watch.progress:
                watch.rate = (progress - watch.progress) / elapsed
        watch.progress, watch.seen_at = progress, now
        gap = self._gap(watch)
        watch.next_at = now + gap
        return gap

    def _gap(self, watch: _Watch) -> timedelta:
        fair = timedelta(seconds=len(self._watches) * 60.0 / self._budget)
        if watch.rate is None or watch.progress is None:
            return max(self._period, fair)  # a second reading gives the rate
        if watch.rate <= 0:
            return max(self._period, fair * 2)  # barely moving: no end in sight
        # Poll just after the expected end; a task that is not done by then gets a new estimate.
        remaining = timedelta(seconds=(100 - watch.progress) / watch.rate)
        return max(self._min_gap, min(max(self._period, fair * 2), remaining + self._min_gap))
