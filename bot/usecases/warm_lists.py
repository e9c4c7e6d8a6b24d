"""The form's lists, served from memory at once and refreshed in the background.

Slack gives an option list 3 seconds and the listener answers it on Bolt's thread, so the listener
never calls OVHcloud: it reads what is here. A list not loaded yet (or gone stale) is loaded on the
background pool; meanwhile the person sees that it is loading. Part of the service layer: no Slack,
OVHcloud or SQLite here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from bot.domain import PccBotError

log = logging.getLogger(__name__)

#: Runs a load away from the caller's thread (the composition root hands in the work pool).
Background = Callable[[Callable[[], None]], object]


def inline(load: Callable[[], None]) -> None:
    """Loads in the caller's thread (unit tests, where the fake answers at once)."""
    load()


@dataclass
class _Entry:
    value: Any = None
    loaded_at: float | None = None
    loading: bool = False
    error: str | None = None


@dataclass(frozen=True)
class Listed:
    """What is known of a list now: its items (None while it loads) and the last load's error."""

    items: list[Any] | None
    error: str | None = None


class WarmLists:
    def __init__(
        self,
        background: Background = inline,
        clock: Callable[[], float] = time.monotonic,
        fresh_seconds: float = 120.0,
    ) -> None:
        self._background = background
        self._clock = clock
        self._fresh = fresh_seconds
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}

    def get(self, key: Hashable, load: Callable[[], list[Any]]) -> Listed:
        """The list at ``key`` as it is now; starts a (re)load when it is missing or stale."""
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            stale = entry.loaded_at is None or self._clock() - entry.loaded_at >= self._fresh
            start = stale and not entry.loading
            if start:
                entry.loading = True
        if start:
            self._background(lambda: self._load(key, load))
        with self._lock:
            return Listed(entry.value, entry.error)

    def _load(self, key: Hashable, load: Callable[[], list[Any]]) -> None:
        value: list[Any] | None = None
        error: str | None = "the list could not be read"  # whatever happens, the entry is not left loading
        try:
            value, error = load(), None
        except PccBotError as refused:
            log.warning("form list %s could not be loaded: %s", key, refused)
            error = str(refused)
        finally:
            with self._lock:
                entry = self._entries[key]
                entry.loading, entry.error = False, error
                if value is not None:
                    entry.value, entry.loaded_at = value, self._clock()
