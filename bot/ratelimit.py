"""Client-side limits on OVHcloud calls (fair use: about 60 per minute per consumer key)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimited(Exception):
    """No token came within the wait allowed."""


class SlidingWindow:
    """At most ``per_minute`` calls in any 60-second window: exactly the fair-use rule, and a listing
    of 50 filers still goes out at once. Thread-safe; shared by every caller (commands, poller, doctor)."""

    WINDOW = 60.0

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("the budget must allow at least one call a minute")
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def _forget_old(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= self.WINDOW:
            self._sent.popleft()

    def try_acquire(self, count: int = 1) -> bool:
        """Take ``count`` places at once, or none."""
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            if len(self._sent) + count <= self.per_minute:
                self._sent.extend([now] * count)
                return True
            return False

    def wait_time(self) -> float:
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            return 0.0 if len(self._sent) < self.per_minute else self._sent[0] + self.WINDOW - now

    def acquire(self, max_wait: float) -> None:
        """Take a place in the window, waiting up to ``max_wait`` seconds; raise RateLimited past that."""
        deadline = self._clock() + max_wait
        while not self.try_acquire():
            delay = self.wait_time()
            if self._clock() + delay > deadline:
                raise RateLimited(f"OVHcloud call budget used up; next call possible in {delay:.0f} s")
            self._sleep(max(delay, 0.001))
