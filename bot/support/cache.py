"""A short-lived cache of API reads with coalescing: identical concurrent reads make one call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

#: What a caller that joined a load gets when that load asked nothing: it tries again.
_AGAIN = object()


class ReadCache:
    """``remember`` names the errors worth keeping for ``error_ttl_seconds`` (an unknown name: asking
    again at once would get the same answer and spend the budget); other errors are never kept. At most
    ``max_entries`` values and as many errors are kept: the oldest go first (whatever anyone types)."""

    def __init__(
        self,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        remember: tuple[type[Exception], ...] = (),
        error_ttl_seconds: float = 30.0,
        max_entries: int = 2048,
        unasked: tuple[type[Exception], ...] = (),
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._remember = remember
        self._error_ttl = error_ttl_seconds
        self._max = max_entries
        #: Errors that say the load asked nothing (its caller would not wait for the budget): a caller
        #: that joined it loads again itself rather than share a refusal that was not its own.
        self._unasked = unasked
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._errors: dict[Hashable, tuple[float, Exception]] = {}
        self._in_flight: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The cached value for ``key``, or ``load()``'s; a caller arriving while the same key is being
        loaded waits for that load instead of starting another. Errors are shared, never cached (but an
        ``unasked`` one: the caller that joined loads again)."""
        while True:
            value = self._get(key, load)
            if value is not _AGAIN:
                return value

    def _get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        with self._lock:
            cached = self._values.get(key)
            if cached is not None and self._clock() - cached[0] < self._ttl:
                return cached[1]
            failed = self._errors.get(key)
            if failed is not None and self._clock() - failed[0] < self._error_ttl:
                raise failed[1]
            pending = self._in_flight.get(key)
            leader = pending is None
            if leader:
                pending = self._in_flight[key] = Future()
        assert pending is not None
        if not leader:
            try:
                return pending.result()
            except self._unasked:
                return _AGAIN  # the load it joined asked nothing: ask again
        try:
            value = load()
        except BaseException as error:
            pending.set_exception(error)
            if self._remember and isinstance(error, self._remember):
                with self._lock:
                    self._keep(self._errors, key, (self._clock(), error))
            raise
        else:
            pending.set_result(value)
            with self._lock:
                self._keep(self._values, key, (self._clock(), value))
            return value
        finally:
            with self._lock:
                self._in_flight.pop(key, None)

    def _keep(
        self, store: dict[Hashable, tuple[float, Any]], key: Hashable, entry: tuple[float, Any]
    ) -> None:
        """Store ``entry`` as the newest; past the bound, drop the oldest (insertion order). Call with
        the lock held."""
        store.pop(key, None)
        store[key] = entry
        while len(store) > self._max:
            del store[next(iter(store))]

    def __len__(self) -> int:
        with self._lock:
            return len(self._values) + len(self._errors)
