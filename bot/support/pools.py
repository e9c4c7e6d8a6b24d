"""Named thread pools that refuse to be waited on from their own threads.

A task that waits on the pool it runs on holds a thread while it waits; enough of them at once hold
every thread and nothing moves again (a deadlock). Waiting here goes through ``Pool.map`` or
``Pool.wait``, which raise ``WaitOnOwnPool`` at the first such wait instead of hanging later, under load.
Layered work uses one pool per layer: the outer layer may wait on the inner one, never the reverse.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WaitOnOwnPool(RuntimeError):
    """A task waited on the pool it runs on: a deadlock waiting for enough concurrent callers."""


class Pool:
    """A bounded pool whose tasks run in a copy of the submitter's context (who the work is for goes
    along), and whose results are waited for only from threads that are not its own."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self._own = threading.local()
        self._executor = ThreadPoolExecutor(
            max_workers=size, thread_name_prefix=name, initializer=self._mark_own
        )

    def _mark_own(self) -> None:
        self._own.member = True

    def __repr__(self) -> str:
        return f"Pool({self.name!r})"

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        return self._executor.submit(contextvars.copy_context().run, fn, *args)

    def _refuse_own_thread(self) -> None:
        if getattr(self._own, "member", False):
            raise WaitOnOwnPool(f"a task of pool {self.name!r} waited on pool {self.name!r}")

    def wait(self, future: Future[R]) -> R:
        """The result of one of this pool's tasks; refused on the pool's own threads."""
        self._refuse_own_thread()
        return future.result()

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` over ``items`` concurrently within the pool's bound, in order."""
        self._refuse_own_thread()
        futures = [self.submit(fn, item) for item in items]
        return [future.result() for future in futures]

    def close(self) -> None:
        """Stop taking tasks; queued ones are dropped, running ones finish on their own."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class PersonQueue:
    """At most ``per_person`` tasks of one person queued or running at once (``enter``/``leave``): one
    person's burst cannot fill a pool's queue ahead of everyone else; past the bound, refused at once."""

    def __init__(self, per_person: int) -> None:
        self.per_person = per_person
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, who: str | None) -> bool:
        """Take a place for ``who``; False when they already hold ``per_person``."""
        key = who or ""
        with self._lock:
            if self._held.get(key, 0) >= self.per_person:
                return False
            self._held[key] = self._held.get(key, 0) + 1
            return True

    def leave(self, who: str | None) -> None:
        key = who or ""
        with self._lock:
            left = self._held.get(key, 0) - 1
            if left > 0:
                self._held[key] = left
            else:
                self._held.pop(key, None)

    def held(self, who: str | None) -> int:
        with self._lock:
            return self._held.get(who or "", 0)
