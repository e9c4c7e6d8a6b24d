"""When will a copy end? An estimate from the progress readings the poller already takes: the rate
over a recent window (not since the start, so a slow start does not skew it). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

#: A reading: when the task's progress (0-100) was seen at that value first.
Reading = tuple[datetime, int]

#: The readings kept per request (the newest), and the window the rate is taken over.
KEPT_READINGS = 12
RATE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Estimate:
    """``end`` when it can be said; else why not: "estimating" (not moved twice yet) or "stalled"
    (not moved for longer than its recent pace would allow)."""

    end: datetime | None
    status: str  # "estimate", "estimating" or "stalled"

    def left(self, now: datetime) -> timedelta | None:
        return None if self.end is None else max(timedelta(0), self.end - now)


def remember(readings: Sequence[Reading], at: datetime, progress: int | None) -> tuple[Reading, ...]:
    """The readings with a new one, kept only when the progress changed (the newest KEPT_READINGS)."""
    if progress is None or (readings and readings[-1][1] == progress):
        return tuple(readings)
    return (*readings, (at, progress))[-KEPT_READINGS:]


def estimate_end(readings: Sequence[Reading], now: datetime, window: timedelta = RATE_WINDOW) -> Estimate:
    """The expected end from the rate over the last ``window`` of readings. A drop in progress (a
    relaunched task starts again) forgets what came before; no estimate while the task does not move
    for longer than twice the time its last step took (the stall warning speaks then)."""
    run = list(readings)
    for i in range(len(run) - 1, 0, -1):
        if run[i][1] < run[i - 1][1]:
            run = run[i:]
            break
    if len(run) < 2:
        return Estimate(None, "estimating")
    last_at, last = run[-1]
    recent = [r for r in run if last_at - r[0] <= window] or run[-2:]
    if len(recent) < 2:
        recent = run[-2:]
    first_at, first = recent[0]
    span = (last_at - first_at).total_seconds()
    if span <= 0 or last <= first:
        return Estimate(None, "estimating")
    step = (last_at - run[-2][0]).total_seconds()
    if (now - last_at).total_seconds() > max(2 * step, 15 * 60):
        return Estimate(None, "stalled")
    rate = (last - first) / span  # percent per second
    return Estimate(last_at + timedelta(seconds=(100 - last) / rate), "estimate")
