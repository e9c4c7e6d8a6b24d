"""Telling a person that their request waits for the OVHcloud call budget.

A listener sets a callback for the work it runs; the rate limiter calls it (once) when a read of that
work has to wait. Nothing here knows about Slack: the callback does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

OnWait = Callable[[float], None]

_on_wait: ContextVar[OnWait | None] = ContextVar("on_wait", default=None)


@contextmanager
def told_when_queued(callback: OnWait) -> Iterator[None]:
    token = _on_wait.set(callback)
    try:
        yield
    finally:
        _on_wait.reset(token)


def current() -> OnWait | None:
    return _on_wait.get()
