"""Client-side limits on OVHcloud calls (fair use: about 60 per minute per consumer key)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimited(Exception):
    """No place came within the wait allowed."""


class SlidingWindow:
    """At most ``per_minute`` calls in any 60-second window: exactly the fair-use rule, and a listing
    of 50 filers still goes out at once. Thread-safe; shared by every caller (commands, poller, doctor).

    Mutating calls come first: ``reserve`` places are theirs alone, reads never take a place while a
    mutating call waits, and a mutating call waits as long as it takes (at most a minute) instead of
    failing. Reads by a named person (``who``) are capped at ``person_share`` of the places reads can
    use, so one person's burst cannot starve another's.
    """

    WINDOW = 60.0

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        *,
        reserve: int = 0,
        person_share: float = 1.0,
    ) -> None:
        if per_minute < 1:
            raise ValueError("the budget must allow at least one call a minute")
        self.per_minute = per_minute
        self.reserve = min(max(0, reserve), per_minute - 1)
        self._read_places = per_minute - self.reserve
        self._person_places = max(1, int(self._read_places * person_share))
        self._clock = clock
        self._closed = threading.Event()
        # By default a wait ends early when the window is closed (the process is stopping).
        self._sleep = sleep or self._closed.wait
        self._sent: deque[tuple[float, str | None]] = deque()
        self._mutations_waiting = 0
        self._lock = threading.Lock()

    def close(self) -> None:
        """Nothing waits any more: every waiting and later call is refused (the process is stopping)."""
        self._closed.set()

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise RateLimited("the bot is stopping")

    def _forget_old(self, now: float) -> None:
        while self._sent and now - self._sent[0][0] >= self.WINDOW:
            self._sent.popleft()

    def _taken_by(self, who: str) -> list[float]:
        return [at for at, caller in self._sent if caller == who]

    def _read_delay(self, now: float, count: int, who: str | None) -> float:
        """Seconds until a read of ``count`` places fits (0: now). Call with the lock held."""
        delays = [0.0]
        over = len(self._sent) + count - self._read_places
        if over > 0:
            delays.append(self._sent[over - 1][0] + self.WINDOW - now)
        if who is not None:
            mine = self._taken_by(who)
            over_mine = len(mine) + count - self._person_places
            if over_mine > 0:
                delays.append(mine[over_mine - 1] + self.WINDOW - now)
        if self._mutations_waiting:
            delays.append(0.05)
        return max(delays)

    def try_acquire(self, count: int = 1, *, mutating: bool = False, who: str | None = None) -> bool:
        """Take ``count`` places at once, or none."""
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            if mutating:
                fits = len(self._sent) + count <= self.per_minute
            else:
                fits = self._read_delay(now, count, who) == 0.0
            if fits:
                self._sent.extend([(now, who)] * count)
            return fits

    def wait_time(self, who: str | None = None) -> float:
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            return self._read_delay(now, 1, who)

    def acquire(
        self,
        max_wait: float,
        *,
        mutating: bool = False,
        who: str | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        """Take a place, waiting up to ``max_wait`` seconds (RateLimited past that, or once closed);
        ``on_wait(seconds)`` is told once when a read has to wait."""
        if mutating:
            self._acquire_mutating(who, max_wait)
            return
        deadline = self._clock() + max_wait
        told = False
        while not self.try_acquire(who=who):
            self._check_open()
            delay = self.wait_time(who)
            if self._clock() + delay > deadline:
                raise RateLimited(f"OVHcloud call budget used up; next call possible in {delay:.0f} s")
            if on_wait is not None and not told:
                on_wait(delay)
                told = True
            self._sleep(max(delay, 0.001))

    def _acquire_mutating(self, who: str | None, max_wait: float) -> None:
        """Ahead of every read; past ``max_wait`` the call is refused rather than sent late (a call
        sent after its deadline could be taken for one that never answered)."""
        deadline = self._clock() + max_wait
        with self._lock:
            self._mutations_waiting += 1
        try:
            while not self.try_acquire(mutating=True, who=who):
                self._check_open()
                with self._lock:
                    now = self._clock()
                    self._forget_old(now)
                    delay = self._sent[0][0] + self.WINDOW - now if self._sent else 0.0
                if now + delay > deadline:
                    raise RateLimited(f"OVHcloud call budget used up; next call possible in {delay:.0f} s")
                self._sleep(max(delay, 0.001))
        finally:
            with self._lock:
                self._mutations_waiting -= 1
