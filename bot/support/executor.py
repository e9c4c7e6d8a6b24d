"""A thread pool that can tell when all the work handed to it is finished, and that gives way to acks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

#: How long one piece of work after an ack may wait for acks in flight, at most (then it runs anyway).
GIVE_WAY_SECONDS = 2.0


class AckGate:
    """Slack requests being read, verified and acked (``acking``), and work that gives way to them
    (``give_way``): Slack waits 3 s for an ack and a person for the answer that follows, so during a
    burst the acks go first and the work after them waits, at most ``bound`` seconds each, not more."""

    def __init__(self, bound: float = GIVE_WAY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.bound = bound
        self._clock = clock
        self._in_flight = 0
        self._waiting = 0
        self._changed = threading.Condition()
        self.waited = 0.0  # seconds of work held back, in all (the bench reads it)
        self.longest = 0.0  # the longest one piece of work gave way

    @property
    def in_flight(self) -> int:
        with self._changed:
            return self._in_flight

    @property
    def waiting(self) -> int:
        """Pieces of work giving way now."""
        with self._changed:
            return self._waiting

    @contextmanager
    def acking(self) -> Iterator[None]:
        """An ack in flight for the duration of the block."""
        with self._changed:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._changed.notify_all()

    def give_way(self) -> float:
        """Wait while an ack is in flight, ``bound`` seconds at most; the seconds waited."""
        began = self._clock()
        with self._changed:
            if self._in_flight == 0:
                return 0.0
            self._waiting += 1
            try:
                self._changed.wait_for(lambda: self._in_flight == 0, timeout=self.bound)
            finally:
                self._waiting -= 1
            waited = self._clock() - began
            self.waited += waited
            self.longest = max(self.longest, waited)
        return waited


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool: lets the console and a clean shutdown wait for listeners to finish. With a
    ``gate``, work handed over after an ack (``after_acks``) first gives way to the acks in flight; a
    plain ``submit`` never does (an ack may be waiting for it: the form's rule check)."""

    def __init__(
        self, max_workers: int, thread_name_prefix: str = "listener", gate: AckGate | None = None
    ) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._in_flight = 0
        self._idle = threading.Condition()
        self._gate = gate

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        with self._idle:
            self._in_flight += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def after_acks(self, fn: Callable[[], R]) -> Future[R]:
        """``fn`` once no ack is in flight (or the gate's bound has passed): the work after an ack."""
        gate = self._gate
        if gate is None:
            return self.submit(fn)

        def gave_way() -> R:
            gate.give_way()
            return fn()

        return self.submit(gave_way)

    def _done(self, _: Future[Any]) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is running or queued; False if ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)
