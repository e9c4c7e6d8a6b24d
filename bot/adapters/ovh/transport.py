"""The calls under the OvhGateway: every one inside the budget (mutating ones ahead of reads), a clock
refusal resent once, reads retried with backoff (honouring Retry-After), lists asked for whole (list
expansion) with a per-route fallback to per-id reads, remembered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import ovh.exceptions

from bot.adapters.ovh.client import Answer, clock_refusal, is_retryable, send, translate, with_query
from bot.adapters.ovh.routes import Route
from bot.domain import BudgetSpent, NotFound, OvhApiError, OvhNotFound
from bot.support import logs, waits
from bot.support.cache import ReadCache
from bot.support.i18n import Text, _
from bot.support.metrics import Metrics, route_of
from bot.support.pools import Pool
from bot.support.window import RateLimited, SlidingWindow

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: Asks a list route for its objects rather than their ids (list expansion), this many a page.
PAGE_SIZE = 5000
#: A listing never reads more pages than this, whatever X-Pagination-Elements says.
MAX_PAGES = 20
MAX_RETRY_AFTER = 30.0


class OvhTransport:
    """Signed calls to OVHcloud within the budget. The gateway (gateway.py) holds one and asks it for
    ``fresh`` reads (every task and status), ``cached`` ones (inventory facts, for a while), listings
    of ``objects`` (expanded or read id by id) and ``mutate`` calls; nothing else of it is public."""

    def __init__(
        self,
        client: Any,
        *,
        max_concurrency: int = 10,  # requests' default connection pool per host
        get_attempts: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        metrics: Metrics | None = None,
        limiter: SlidingWindow | None = None,
        cache: ReadCache | None = None,
        max_wait_seconds: float = 30.0,
        mutation_wait_seconds: float = 90.0,
        page_size: int = PAGE_SIZE,
        inventory_ttl_seconds: float = 120.0,
    ) -> None:
        self.client = client
        # Two layers, so that no task waits on the pool it runs on: a listing's steps (a PCC, its
        # datastore lists) wait on single reads (one HTTP call each), which never wait on anything.
        self._steps = Pool("ovh-steps", max_concurrency)
        self._reads = Pool("ovh-reads", max_concurrency)
        self._attempts = get_attempts
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._metrics = metrics or Metrics()
        self.limiter = limiter or SlidingWindow(per_minute=60)
        # Inventory facts are shared by commands, forms and plans for a while; a 404 for 30 s.
        self.cache = cache or ReadCache(
            ttl_seconds=inventory_ttl_seconds,
            remember=(OvhNotFound,),
            error_ttl_seconds=30,
            unasked=(BudgetSpent,),  # an impatient reader's refusal is not a patient one's
        )
        self._max_wait = max_wait_seconds
        #: A mutating call not sent by then is not sent at all: it must go out well within the time
        #: after which a call with no answer is declared in doubt (ServiceSettings.call_timeout).
        self._mutation_wait = mutation_wait_seconds
        self._page_size = page_size
        self._ids_only: set[str] = set()  # list routes that answered ids when asked for objects
        self._ids_lock = threading.Lock()

    def close(self) -> None:
        """Refuse every call still waiting for the budget, and stop the pools."""
        self.limiter.close()
        self._steps.close()
        self._reads.close()

    def expands(self, route: Route) -> bool:
        """False once the route answered ids when asked for objects (remembered)."""
        with self._ids_lock:
            return route.template not in self._ids_only

    # ------------------------------------------------------------ plumbing

    def _counted(
        self, method: str, path: str, call: Callable[[], Answer], mutating: bool, wait: float
    ) -> Answer:
        """One call within the budget, waiting for a place up to ``wait`` seconds (below 0: a resend
        already past its call's deadline, not sent at all)."""
        route = route_of(path)
        try:
            if wait < 0:
                raise RateLimited(self.limiter.wait_time())
            self.limiter.acquire(
                wait,
                mutating=mutating,
                who=logs.current_user(),
                on_wait=waits.current(),
                needed=waits.calls_left(),
            )
            waits.counted()
        except RateLimited as error:
            self._metrics.ovh_throttled.labels(method, route).inc()
            retry_at = None if error.seconds is None else datetime.now(UTC) + timedelta(seconds=error.seconds)
            raise BudgetSpent(f"{method} {path}", retry_at) from error
        try:
            with self._metrics.ovh_call(method, route):
                return call()
        except ovh.exceptions.APIError as raw:
            status = getattr(getattr(raw, "response", None), "status_code", None)
            self._metrics.ovh_errors.labels(method, route, str(status or 0)).inc()
            raise

    def _signed(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        mutating: bool,
    ) -> Answer:
        """One call; if the authentication layer refused its signature's time, resync the clock and send
        it once more (a request refused there was not carried out)."""

        def call() -> Answer:
            return send(self.client, method, path, body, headers)

        # One deadline for the call and its resend: a resend waits only for what is left of it.
        wait = self._mutation_wait if mutating else waits.max_wait(self._max_wait)
        deadline = self.limiter.now() + wait
        try:
            return self._counted(method, path, call, mutating, wait)
        except ovh.exceptions.APIError as raw:
            code = clock_refusal(raw)
            if code is None:
                raise
            log.warning("OVHcloud refused the request time (%s): resyncing the clock with /auth/time", code)
            self.client._time_delta = None  # python-ovh recomputes it lazily from /auth/time
            return self._counted(method, path, call, mutating, deadline - self.limiter.now())

    def _answer(self, path: str, what: str, headers: dict[str, str] | None = None) -> Answer:
        """A signed GET, retried with exponential backoff on 5xx, 429 (as long as Retry-After asks,
        within reason), timeouts and network errors."""
        for attempt in range(1, self._attempts + 1):
            try:
                return self._signed("GET", path, headers=headers, mutating=False)
            except ovh.exceptions.APIError as raw:
                error = translate(raw, what)
                if attempt == self._attempts or not is_retryable(error):
                    raise error from raw
                delay = self._backoff * 2 ** (attempt - 1)
                if error.retry_after is not None:
                    delay = min(MAX_RETRY_AFTER, max(delay, error.retry_after))
                log.warning("GET %s failed (%s); retry %d in %.1fs", path, error, attempt, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")

    def fresh(self, path: str, what: str) -> Any:
        return self._answer(path, what)[0]

    def cached(self, path: str, what: str) -> Any:
        """An inventory read: cached briefly, and shared by identical concurrent callers."""
        return self.cache.get(path, lambda: self.fresh(path, what))

    def named(self, path: str, what: str, missing: Text, *, fresh: bool = False) -> Any:
        """A GET whose 404 becomes NotFound(``missing``, in its reader's language), with the query id
        for OVHcloud support; ``fresh``: read now, not from the cache."""
        try:
            return self.fresh(path, what) if fresh else self.cached(path, what)
        except OvhNotFound as error:
            raise not_found(missing, error.query_id) from error

    def objects(
        self, lister: Route, item: Callable[[int], Any], what: str, *, fresh: bool = False, **params: Any
    ) -> list[Any]:
        """The objects of a list route: in one call (a page per 5,000) when OVHcloud expands it, else
        its ids, then each object read concurrently. A route that answers ids is remembered."""
        return self.objects_so_far(lister, item, what, fresh=fresh, **params)[0]

    def read_now(
        self, lister: Route, item: Route, key: str, what: tuple[str, str], **params: Any
    ) -> list[Any]:
        """The objects of a list route, all read now: ``item`` reads one (its id as the parameter
        ``key``); ``what`` says what the listing and a read are (for errors and logs)."""
        listing, reading = what

        def one(object_id: int) -> Any:
            return self.fresh(item.path(**params, **{key: object_id}), f"reading {reading} {object_id}")

        return self.objects(lister, one, listing, fresh=True, **params)

    def objects_so_far(
        self,
        lister: Route,
        item: Callable[[int], Any],
        what: str,
        *,
        fresh: bool = False,
        now_only: bool = False,
        **params: Any,
    ) -> tuple[list[Any], list[int]]:
        """The objects of a list route, and with ``now_only`` the ids whose read the budget had no
        room for at once (left for later rather than waited for)."""
        query = {k: v for k, v in params.items() if k not in _path_params(lister)}
        path = with_query(lister.path(**params), query)
        if not self.expands(lister):
            return self._items(item, [int(i) for i in self.fresh(path, what)], now_only)
        expanded = {"X-Pagination-Mode": "CachedObjectList-Pages", "X-Pagination-Size": str(self._page_size)}
        headers = {**expanded, **({"Pragma": "no-cache"} if fresh else {})}
        answer, response_headers = self._answer(path, what, headers)
        if not isinstance(answer, list) or any(not isinstance(x, dict) for x in answer):
            log.info("%s answered ids, not objects: per-id reads from now on", lister)
            with self._ids_lock:
                self._ids_only.add(lister.template)
            return self._items(item, [int(i) for i in answer or []], now_only)
        return self._pages(path, what, headers, answer, response_headers), []

    def _pages(
        self, path: str, what: str, headers: dict[str, str], first: list[Any], first_headers: Any
    ) -> list[Any]:
        """Every page of an expanded list. Only a full page can have a next one, and never more than
        X-Pagination-Elements calls for, nor MAX_PAGES, nor once a page repeats the one before: an
        answer that misstates its size cannot make a listing page forever."""
        objects, page, last = list(first), 1, first
        total = _int_header(first_headers, "X-Pagination-Elements", len(objects))
        pages = min(MAX_PAGES, -(-total // self._page_size))
        while len(last) >= self._page_size and page < pages:
            page += 1
            more, _ = self._answer(path, what, {**headers, "X-Pagination-Number": str(page)})
            if not isinstance(more, list) or not more or more == last:
                break
            objects.extend(more)
            last = more
        return objects

    def _items(
        self, item: Callable[[int], Any], ids: list[int], now_only: bool
    ) -> tuple[list[Any], list[int]]:
        """Each id's object, read concurrently; with ``now_only``, the ids the budget had no room for
        at once come back unread instead of waiting."""

        def read(item_id: int) -> Any:
            if not now_only:
                return item(item_id)
            try:
                with waits.impatient():
                    return item(item_id)
            except BudgetSpent:
                return None

        found = self.map(read, ids)
        return [o for o in found if o is not None], [i for i, o in zip(ids, found, strict=True) if o is None]

    def mutate(self, path: str, body: dict[str, Any] | None) -> tuple[Any, str | None]:
        """A mutating POST: sent once (a clock refusal aside), ahead of reads in the budget, never
        retried; returns the answer and its OVH query id. An answer that does not say clearly whether
        the call ran (timeout, lost connection, 5xx, invalid JSON) raises an ambiguous OvhApiError."""
        try:
            answer, headers = self._signed("POST", path, body, mutating=True)
        except ovh.exceptions.APIError as raw:
            raise translate(raw, f"POST {path}") from raw
        query_id = headers.get("X-OVH-QUERYID")
        if not isinstance(answer, dict) or not isinstance(answer.get("taskId"), int):
            raise OvhApiError(f"POST {path}: the answer holds no taskId", query_id=query_id, ambiguous=True)
        return answer, query_id

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Single reads (``fn`` makes one call and waits on nothing) run concurrently, in order."""
        return self._reads.map(fn, items)

    def step(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        """A step of a composite read (it may fan out single reads), started at once; its result is
        taken with ``outcome``. The person it is for (their share of the budget, their "queued"
        notice) goes along."""
        return self._steps.submit(fn, *args)

    def outcome(self, step: Future[R]) -> R:
        """What a step returned (waited for through its pool, which refuses a wait from its own threads)."""
        return self._steps.wait(step)


def _path_params(route: Route) -> set[str]:
    return set(route.parameters)


def _int_header(headers: Any, name: str, default: int) -> int:
    value = str(headers.get(name) or "")
    return int(value) if value.isdigit() else default


def not_found(missing: Text, query_id: str | None) -> NotFound:
    """What OVHcloud answered 404 for, with the query id for OVHcloud support."""
    said = _("{missing} (OVH query id {query})", missing=missing, query=str(query_id))
    return NotFound(str(said), text=said)
