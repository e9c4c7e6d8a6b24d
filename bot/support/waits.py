"""Telling a person that their request waits for the OVHcloud call budget.

A listener sets a callback for the work it runs; the rate limiter calls it (once) when a read of that
work has to wait. Nothing here knows about Slack: the callback does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
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


_allowance: ContextVar[float | None] = ContextVar("wait_allowance", default=None)


@contextmanager
def allowance(seconds: float) -> Iterator[None]:
    """Reads in this block wait at most ``seconds`` for the call budget: 0 leaves what cannot be sent
    now for later; a background job that fills a list in may wait longer than a person would."""
    token = _allowance.set(seconds)
    try:
        yield
    finally:
        _allowance.reset(token)


def impatient() -> AbstractContextManager[None]:
    return allowance(0.0)


def max_wait(default: float) -> float:
    """The wait the current work allows for the budget (``default`` unless a block set one)."""
    chosen = _allowance.get()
    return default if chosen is None else chosen


#: The longest any answer may make us wait before asking again (Slack or OVHcloud `Retry-After`).
MAX_RETRY_AFTER_SECONDS = 15 * 60.0


def retry_after(header: object, default: float | None = None) -> float | None:
    """Seconds a `Retry-After` header asks to wait, bounded to [0, MAX_RETRY_AFTER_SECONDS]; the
    ``default`` when it is absent or not a number of seconds (an HTTP date is not honoured)."""
    if isinstance(header, list | tuple):
        header = header[0] if header else None
    try:
        seconds = float(str(header).strip())
    except ValueError:
        return default
    if seconds != seconds:  # NaN
        return default
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


#: The calls the current work expects to make before its answer, and those it made: [expected, made].
#: One list per piece of work, shared by the steps it hands to pools (a context copy keeps the list).
_work: ContextVar[list[int] | None] = ContextVar("expected_calls", default=None)


@contextmanager
def expecting(calls: int) -> Iterator[None]:
    """The work in this block makes about ``calls`` OVHcloud calls before its answer: a "queued" notice
    counts the places still needed, not one."""
    token = _work.set([calls, 0])
    try:
        yield
    finally:
        _work.reset(token)


def counted() -> None:
    """A call of the current work took its place in the budget."""
    work = _work.get()
    if work is not None:
        work[1] += 1


def calls_left() -> int:
    """Places the current work still needs, this one included (at least one)."""
    work = _work.get()
    return 1 if work is None else max(1, work[0] - work[1])
