"""Client-side limits on OVHcloud calls (fair use: about 60 per minute per consumer key)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol


class RateLimited(Exception):
    """No place came within the wait allowed; ``seconds`` until one is expected (None: stopping)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        super().__init__("the bot is stopping" if seconds is None else f"next place in {seconds:.0f} s")


class SharedBudget(Protocol):
    """The budget's count across every process using the same consumer key (several replicas)."""

    def take(self, count: int, limit: int, *, mutating: bool) -> float:
        """Take ``count`` places if all processes together stay within ``limit`` over the window (0.0),
        or none: then the seconds until enough places free up."""
        ...


class SlidingWindow:
    """At most ``per_minute`` calls in any 60-second window: exactly the fair-use rule, and a listing
    of 50 filers still goes out at once. Thread-safe; shared by every caller (commands, poller, doctor).

    Mutating calls come first: ``reserve`` places are theirs alone, reads that had their share (below)
    never take a place while a mutating call waits, and a mutating call waits as long as it takes
    (within its deadline) instead of failing. Between people (``who``) the budget is work-conserving:
    a person alone may use every read place; while several wait, the next place goes to the one who
    has taken the fewest in the window (round robin by person), so one person's burst cannot starve
    another's.

    While mutating calls stream out (a plan's dispatch), reads keep a share: ``read_share`` places of
    any window (a quarter by default) are never taken by mutating calls, and reads within it may go
    into the reserve, so the poller and people are answered during a 400-datastore dispatch instead
    of minutes after it.

    With ``shared`` (replicas on one database), a place is also taken in the count every process
    shares, with the same limits: never more than ``per_minute`` calls in a window for all of them
    together, reads never into the reserve. Fairness between people holds within each process.
    """

    WINDOW = 60.0

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        *,
        reserve: int = 0,
        window: float = WINDOW,
        shared: SharedBudget | None = None,
        read_share: int | None = None,
    ) -> None:
        if per_minute < 1:
            raise ValueError("the budget must allow at least one call a minute")
        self.per_minute = per_minute
        self.window = window
        self.reserve = min(max(0, reserve), per_minute - 1)
        self._read_places = per_minute - self.reserve
        #: Places of a window mutating calls leave to reads while some wait.
        self.read_share = min(self._read_places, per_minute // 4 if read_share is None else read_share)
        #: Read places a busy person leaves for whoever comes next (a tenth): someone typing a command
        #: during another's burst is answered at once, not a minute later.
        self._welcome = max(1, self._read_places // 10) if self._read_places > 1 else 0
        self._waiting: Counter[str] = Counter()  # people whose reads wait for a place
        self._clock = clock
        self._closed = threading.Event()
        # By default a wait ends early when the window is closed (the process is stopping).
        self._sleep = sleep or self._closed.wait
        self._sent: deque[tuple[float, str | None, bool]] = deque()  # when, who, mutating
        self._mutations_waiting = 0
        self._lock = threading.Lock()
        self._shared = shared
        self._shared_free_at = 0.0  # when the shared count said a place frees up

    def close(self) -> None:
        """Nothing waits any more: every waiting and later call is refused (the process is stopping)."""
        self._closed.set()

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise RateLimited(None)

    def _forget_old(self, now: float) -> None:
        while self._sent and now - self._sent[0][0] >= self.window:
            self._sent.popleft()

    def _taken(self, who: str) -> int:
        return sum(1 for _, caller, _m in self._sent if caller == who)

    def _someone_less_served_waits(self, who: str) -> bool:
        """Another waiting person has taken fewer places in the window. Call with the lock held."""
        others = [p for p, n in self._waiting.items() if n > 0 and p != who]
        if not others:
            return False
        taken = Counter(caller for _, caller, _m in self._sent)
        return min(taken[p] for p in others) < taken[who]

    def _reads_in_window(self) -> int:
        return sum(1 for _, _w, mutating in self._sent if not mutating)

    def _mutation_fits(self, count: int) -> bool:
        """Room for ``count`` mutating calls: within the minute, leaving reads the share of the window
        they have not used yet (a dispatch that filled a whole window at once would leave the next
        read a minute to wait). Call with the lock held."""
        owed = max(0, self.read_share - self._reads_in_window())
        return len(self._sent) + count <= self.per_minute - owed

    def _read_delay(self, now: float, count: int, who: str | None) -> float:
        """Seconds until a read of ``count`` places fits (0: now). Call with the lock held."""
        delays = [0.0]
        places = self._read_places
        if who is not None and self._taken(who) >= self._welcome:
            places -= self._welcome  # the last few stay for someone who has hardly asked yet
        over = len(self._sent) + count - places
        if self._reads_in_window() + count <= self.read_share:  # reads' own share, the reserve aside
            over = len(self._sent) + count - self.per_minute
        if over > 0:
            delays.append(self._sent[over - 1][0] + self.window - now)
        if who is not None and self._someone_less_served_waits(who):
            delays.append(0.05)  # their turn first
        if self._mutations_waiting and self._reads_in_window() >= self.read_share:
            delays.append(0.05)  # mutating calls first, once reads had their share
        delays.append(self._shared_free_at - now)
        return max(delays)

    def try_acquire(self, count: int = 1, *, mutating: bool = False, who: str | None = None) -> bool:
        """Take ``count`` places at once, or none."""
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            fits = self._mutation_fits(count) if mutating else self._read_delay(now, count, who) == 0.0
            if fits and self._shared is not None:
                limit = self.per_minute if mutating else self._read_places
                delay = self._shared.take(count, limit, mutating=mutating)
                self._shared_free_at = now + delay
                fits = delay == 0.0
            if fits:
                self._sent.extend([(now, who, mutating)] * count)
            return fits

    def now(self) -> float:
        """The clock the window counts its waits on."""
        return self._clock()

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
        needed: int = 1,
    ) -> None:
        """Take a place, waiting up to ``max_wait`` seconds (RateLimited past that, or once closed);
        ``on_wait(seconds)`` is told once when a read has to wait: about when the ``needed`` places the
        work still wants (this one included) will have come, its turns shared with the others waiting."""
        if mutating:
            self._acquire_mutating(who, max_wait)
            return
        if self.try_acquire(who=who):
            return
        deadline = self._clock() + max_wait
        told = False
        with self.queued(who):
            while not self.try_acquire(who=who):
                self._check_open()
                delay = self.wait_time(who)
                if self._clock() + delay > deadline:
                    raise RateLimited(delay)
                if on_wait is not None and not told:
                    on_wait(max(delay, self.estimate(needed, who)))
                    told = True
                self._sleep(max(min(delay, 1.0), 0.001))  # a turn may come sooner than the window says

    def estimate(self, needed: int, who: str | None) -> float:
        """Seconds until ``who`` has had ``needed`` more read places, taking turns with every other
        person waiting now (each taking as many): when the window frees that many places, or, past
        what it holds, a window's worth of places a window later."""
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            others = sum(1 for p, n in self._waiting.items() if n > 0 and p != (who or ""))
            wanted = len(self._sent) + needed * (1 + others) - self._read_places
            if wanted <= 0:
                return 0.0
            if wanted <= len(self._sent):
                return self._sent[wanted - 1][0] + self.window - now
            last = (self._sent[-1][0] + self.window - now) if self._sent else 0.0
            return last + self.window * (wanted - len(self._sent)) / self._read_places

    @contextmanager
    def queued(self, who: str | None) -> Iterator[None]:
        """``who`` waits for a place meanwhile: less served than the others, they go first."""
        with self._lock:
            self._waiting[who or ""] += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting[who or ""] -= 1

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
                    full = len(self._sent) >= self.per_minute
                    delay = self._sent[0][0] + self.window - now if self._sent and full else 0.0
                    delay = max(delay, self._shared_free_at - now)
                if now + delay > deadline or now > deadline:
                    raise RateLimited(delay)
                # Reads having their share: a place may come before the window frees one.
                self._sleep(max(delay if full else min(delay, 1.0), 0.05 if not full else 0.001))
        finally:
            with self._lock:
                self._mutations_waiting -= 1
