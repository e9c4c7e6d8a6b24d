"""The OvhGateway port over python-ovh: every path from the route table (routes.py beside this file),
every call inside the budget, reads retried with backoff (honouring Retry-After), lists asked for whole (list
expansion, with a per-route fallback to per-id reads), mutating calls sent once.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

import ovh.exceptions

from bot.adapters.ovh import routes
from bot.adapters.ovh.client import (
    Answer,
    OvhCredentials,
    clock_refusal,
    is_retryable,
    make_client,
    send,
    to_filer,
    to_task,
    translate,
    with_query,
)
from bot.adapters.ovh.routes import Route
from bot.domain import (
    BudgetSpent,
    Certifications,
    CopyStatus,
    Datacenter,
    DatacenterFilers,
    Filer,
    FilerListing,
    MigrationSpec,
    NotFound,
    OvhApiError,
    OvhNotFound,
    Pcc,
    StartedTask,
    Task,
)
from bot.support import logs, waits
from bot.support.cache import ReadCache
from bot.support.metrics import Counters, route_of
from bot.support.window import RateLimited, SlidingWindow

__all__ = ["MIGRATION_ROUTES", "OvhCredentials", "OvhGateway", "make_client"]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MIGRATION_ROUTES = tuple(routes.MIGRATION_ROUTES)
#: Asks a list route for its objects rather than their ids (reference: list expansion).
EXPANDED = {"X-Pagination-Mode": "CachedObjectList-Pages", "X-Pagination-Size": "5000"}
MAX_RETRY_AFTER = 30.0


class OvhGateway:
    """The OvhGateway port over python-ovh."""

    def __init__(
        self,
        client: Any,
        *,
        migration_route: str = "linkFilerFromSbg",
        max_concurrency: int = 10,  # requests' default connection pool per host
        get_attempts: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        counters: Counters | None = None,
        limiter: SlidingWindow | None = None,
        cache: ReadCache | None = None,
        max_wait_seconds: float = 30.0,
    ) -> None:
        if migration_route not in MIGRATION_ROUTES:
            raise ValueError(f"unknown migration route {migration_route!r}")
        self._client = client
        self._route = migration_route
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="ovh")
        self._attempts = get_attempts
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._counters = counters or Counters()
        self.limiter = limiter or SlidingWindow(per_minute=60)
        self._cache = cache or ReadCache(ttl_seconds=30, remember=(OvhNotFound,), error_ttl_seconds=30)
        self._max_wait = max_wait_seconds
        self._ids_only: set[str] = set()  # list routes that answered ids when asked for objects
        self._ids_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OvhGateway(client={self._client!r}, route={self._route!r})"

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def migration_route(self) -> str:
        """The route new requests are filed under (PCC_MIGRATION_API)."""
        return self._route

    def expands(self, route: Route) -> bool:
        """False once the route answered ids when asked for objects (remembered)."""
        with self._ids_lock:
            return route.template not in self._ids_only

    # ------------------------------------------------------------ plumbing

    def _counted(self, method: str, path: str, call: Callable[[], Answer], mutating: bool) -> Answer:
        route = route_of(path)
        wait = waits.max_wait(self._max_wait)
        try:
            self.limiter.acquire(wait, mutating=mutating, who=logs.current_user(), on_wait=waits.current())
        except RateLimited as error:
            self._counters.inc("pcc_ovh_throttled_total", method=method, route=route)
            raise BudgetSpent(f"{method} {path} not sent: {error}") from error
        self._counters.inc("pcc_ovh_calls_total", method=method, route=route)
        try:
            return call()
        except ovh.exceptions.APIError as raw:
            status = getattr(getattr(raw, "response", None), "status_code", None)
            self._counters.inc("pcc_ovh_errors_total", method=method, route=route, status=str(status or 0))
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
            return send(self._client, method, path, body, headers)

        try:
            return self._counted(method, path, call, mutating)
        except ovh.exceptions.APIError as raw:
            code = clock_refusal(raw)
            if code is None:
                raise
            log.warning("OVHcloud refused the request time (%s): resyncing the clock with /auth/time", code)
            self._client._time_delta = None  # python-ovh recomputes it lazily from /auth/time
            return self._counted(method, path, call, mutating)

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

    def _get(self, path: str, what: str) -> Any:
        return self._answer(path, what)[0]

    def _read(self, path: str, what: str) -> Any:
        """An inventory read: cached briefly, and shared by identical concurrent callers."""
        return self._cache.get(path, lambda: self._get(path, what))

    def _get_named(self, path: str, what: str, missing: str) -> Any:
        """A GET whose 404 becomes NotFound(``missing``), with the query id for OVHcloud support."""
        try:
            return self._read(path, what)
        except OvhNotFound as error:
            raise NotFound(f"{missing} (OVH query id {error.query_id})") from error

    def _objects(
        self, lister: Route, item: Callable[[int], Any], what: str, *, fresh: bool = False, **params: Any
    ) -> list[Any]:
        """The objects of a list route: in one call (a page per 5,000) when OVHcloud expands it, else
        its ids, then each object read concurrently. A route that answers ids is remembered."""
        return self._objects_so_far(lister, item, what, fresh=fresh, **params)[0]

    def _objects_so_far(
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
            return self._items(item, [int(i) for i in self._get(path, what)], now_only)
        headers = {**EXPANDED, **({"Pragma": "no-cache"} if fresh else {})}
        answer, response_headers = self._answer(path, what, headers)
        if not isinstance(answer, list) or any(not isinstance(x, dict) for x in answer):
            log.info("%s answered ids, not objects: per-id reads from now on", lister)
            with self._ids_lock:
                self._ids_only.add(lister.template)
            return self._items(item, [int(i) for i in answer or []], now_only)
        objects = list(answer)
        total = _int_header(response_headers, "X-Pagination-Elements", len(objects))
        page = 1
        while len(objects) < total:
            page += 1
            more, _ = self._answer(path, what, {**headers, "X-Pagination-Number": str(page)})
            if not more:
                break
            objects.extend(more)
        return objects, []

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

        found = self._map(read, ids)
        return [o for o in found if o is not None], [i for i, o in zip(ids, found, strict=True) if o is None]

    def _map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run ``fn`` over ``items`` concurrently, within the pool's bound, keeping the order."""
        futures = [self._submit(fn, item) for item in items]
        return [future.result() for future in futures]

    def _submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        """Run ``fn`` on the pool in a copy of the caller's context: the person it is for (their
        share of the budget, their "queued" notice) goes along."""
        return self._pool.submit(contextvars.copy_context().run, fn, *args)

    # ------------------------------------------------------------ inventory

    def get_pcc(self, service: str) -> Pcc:
        body = self._get_named(
            routes.PCC.path(serviceName=service), f"reading PCC {service}", f"PCC {service} not found"
        )
        return _to_pcc(body, service)

    def _option_state(self, service: str, route: Route, name: str) -> str:
        try:
            body = self._read(route.path(serviceName=service), f"reading {name} of {service}")
        except OvhNotFound:
            return "disabled"  # never subscribed: answered 404 on some accounts, "disabled" on others
        state = body.get("state") if isinstance(body, dict) else None
        return str(state) if state else "unknown"

    def list_pccs(self) -> list[Pcc]:
        """Every PCC of the account, with its zone (reads cached and fetched concurrently)."""
        names = self._read(routes.PCCS.path(), "listing PCCs")
        return self._map(self.get_pcc, [str(name) for name in names])

    def list_datacenters(self, service: str) -> list[Datacenter]:
        def one(dc: int) -> dict[str, Any]:
            return dict(
                self._read(
                    routes.DATACENTER.path(serviceName=service, datacenterId=dc), "reading a datacenter"
                )
            )

        try:
            bodies = self._cache.get(
                ("datacenters", service),
                lambda: self._objects(
                    routes.DATACENTERS, one, f"listing datacenters of {service}", serviceName=service
                ),
            )
        except OvhNotFound as error:
            raise NotFound(f"PCC {service} not found (OVH query id {error.query_id})") from error
        return [_to_datacenter(body, int(body.get("datacenterId", 0))) for body in bodies]

    def get_certifications(self, service: str) -> Certifications:
        hds, pcidss = self._map(
            lambda option: self._option_state(service, *option),
            [(routes.HDS, "HDS"), (routes.PCIDSS, "PCI-DSS")],
        )
        return Certifications(hds=hds, pcidss=pcidss)

    def get_datacenter(self, service: str, datacenter_id: int) -> Datacenter:
        body = self._get_named(
            routes.DATACENTER.path(serviceName=service, datacenterId=datacenter_id),
            f"reading datacenter {datacenter_id} of {service}",
            f"datacenter {datacenter_id} not found in PCC {service}",
        )
        return _to_datacenter(body, datacenter_id)

    def get_filer(self, service: str, datacenter_id: int, filer_id: int) -> Filer:
        """A datastore of the datacenter, or a global one of the PCC (mounted on every datacenter)."""
        path = routes.FILER.path(serviceName=service, datacenterId=datacenter_id, filerId=filer_id)
        try:
            return to_filer(self._read(path, f"reading filer {filer_id}"), filer_id)
        except OvhNotFound as error:
            global_path = routes.GLOBAL_FILER.path(serviceName=service, filerId=filer_id)
            try:
                return to_filer(
                    self._read(global_path, f"reading global filer {filer_id}"), filer_id, is_global=True
                )
            except OvhNotFound:
                raise NotFound(
                    f"filer {filer_id} not found in datacenter {datacenter_id} of PCC {service} "
                    f"(OVH query id {error.query_id})"
                ) from error

    def _datacenter_filers(
        self, service: str, datacenter_id: int, fresh: bool = False, now_only: bool = False
    ) -> tuple[list[Filer], list[int]]:
        """The datacenter's datastores, and (``now_only``, without expansion) the ids not read yet."""

        def one(filer_id: int) -> dict[str, Any]:
            path = routes.FILER.path(serviceName=service, datacenterId=datacenter_id, filerId=filer_id)
            return dict(self._read(path, f"reading filer {filer_id}"))

        def load() -> tuple[list[Any], list[int]]:
            return self._objects_so_far(
                routes.FILERS,
                one,
                f"listing filers of datacenter {datacenter_id}",
                fresh=fresh,
                now_only=now_only,
                serviceName=service,
                datacenterId=datacenter_id,
            )

        key = ("filers", service, datacenter_id)
        bodies, unread = load() if fresh or now_only else self._cache.get(key, load)
        return [to_filer(body, int(body.get("filerId", 0))) for body in bodies], unread

    def global_filers(self, service: str) -> list[Filer]:
        """The PCC's global datastores (mounted on every datacenter)."""

        def one(filer_id: int) -> dict[str, Any]:
            return dict(
                self._get(routes.GLOBAL_FILER.path(serviceName=service, filerId=filer_id), "reading a filer")
            )

        try:
            bodies = self._cache.get(
                ("global", service),
                lambda: self._objects(
                    routes.GLOBAL_FILERS, one, f"listing global filers of {service}", serviceName=service
                ),
            )
        except OvhNotFound:
            return []  # no global datastore route on this PCC
        return [to_filer(body, int(body.get("filerId", 0)), is_global=True) for body in bodies]

    def filer_listing(
        self, service: str, datacenter_id: int | None, *, now_only: bool = False
    ) -> FilerListing:
        """The PCC and its datastores in as few round trips as expansion (or the bound) allows. With
        ``now_only``, datastores whose details the budget has no room for at once are left unread
        (their ids in ``unread``) rather than waited for."""
        pcc = self._submit(self.get_pcc, service)
        datacenters = self.list_datacenters(service)
        if datacenter_id is not None:
            datacenters = [dc for dc in datacenters if dc.datacenter_id == datacenter_id] or [
                self.get_datacenter(service, datacenter_id)
            ]
        global_filers = self._submit(self.global_filers, service)
        per_dc = [
            self._submit(self._datacenter_filers, service, dc.datacenter_id, False, now_only)
            for dc in datacenters
        ]
        return FilerListing(
            pcc=pcc.result(),
            datacenters=tuple(
                DatacenterFilers(dc, tuple(found.result()[0]), tuple(found.result()[1]))
                for dc, found in zip(datacenters, per_dc, strict=True)
            ),
            global_filers=tuple(global_filers.result()),
        )

    # ------------------------------------------------------------ migration and tasks

    def migration_call(self, spec: MigrationSpec, route: str) -> str:
        body = ", ".join(f'"{k}": {str(v).lower()}' for k, v in _migration_body(spec, route).items())
        return f"POST {_migration_path(spec, route)} {{{body}}}"

    def _mutate(self, path: str, body: dict[str, Any] | None) -> tuple[Any, str | None]:
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

    def start_migration(self, spec: MigrationSpec, route: str) -> StartedTask:
        """The migration call, on the route the request was filed under."""
        answer, query_id = self._mutate(_migration_path(spec, route), _migration_body(spec, route))
        return StartedTask(task_id=int(answer["taskId"]), query_id=query_id)

    def remove_filer(self, service: str, datacenter_id: int, filer_id: int) -> StartedTask:
        """Remove a datastore: a mutating call, sent once."""
        path = routes.REMOVE_FILER.path(serviceName=service, datacenterId=datacenter_id, filerId=filer_id)
        answer, query_id = self._mutate(path, None)
        return StartedTask(task_id=int(answer["taskId"]), query_id=query_id)

    def reset_task(self, service: str, task_id: int, reason: str) -> StartedTask:
        """Relaunch a task in `error`: a mutating call, sent once."""
        path = routes.RESET_TASK.path(serviceName=service, taskId=task_id)
        answer, query_id = self._mutate(path, {"reason": reason})
        return StartedTask(task_id=int(answer["taskId"]), query_id=query_id)

    def copy_status(self, spec: MigrationSpec) -> CopyStatus | None:
        """The newest copyFilerStatus entry for the request's filer, if the API lists one."""
        path = routes.COPY_STATUS.path(serviceName=spec.dest_service, datacenterId=spec.dest_datacenter_id)
        entries = self._get(path, f"reading copy status on {spec.dest_service}")
        mine = [e for e in entries or [] if isinstance(e, dict) and e.get("filerId") == spec.filer_id]
        if not mine:
            return None
        newest = max(mine, key=lambda e: int(e.get("id") or 0))
        progress = newest.get("progress")
        return CopyStatus(
            progress=progress if isinstance(progress, int) else None,
            transferred=str(newest["transfered"]) if newest.get("transfered") is not None else None,
            state=str(newest.get("status") or "unknown"),
        )

    def find_filer(self, service: str, datacenter_id: int, name: str) -> Filer | None:
        """The datastore called ``name`` in the datacenter, read now (not from the cache)."""
        filers, _ = self._datacenter_filers(service, datacenter_id, fresh=True)
        return next((f for f in filers if f.name == name), None)

    def filer_exists(self, service: str, datacenter_id: int, filer_id: int) -> bool:
        """Whether the datastore is still there, read now."""
        path = routes.FILER.path(serviceName=service, datacenterId=datacenter_id, filerId=filer_id)
        try:
            self._get(path, f"reading filer {filer_id}")
        except OvhNotFound:
            return False
        return True

    def get_task(self, service: str, task_id: int) -> Task:
        return to_task(
            self._get(routes.TASK.path(serviceName=service, taskId=task_id), f"reading task {task_id}")
        )

    def tasks_of(self, service: str) -> list[Task] | None:
        """Every task of the PCC, fresh, in one expanded call; None where the route does not expand
        (the caller then reads task by task)."""
        if not self.expands(routes.TASKS):
            return None

        def no_per_id_reads(task_id: int) -> None:
            return None  # a PCC's whole history, one task at a time, is never worth the budget

        tasks = self._objects(
            routes.TASKS, no_per_id_reads, f"listing tasks of {service}", fresh=True, serviceName=service
        )
        if not self.expands(routes.TASKS):
            return None  # it answered ids this time: the caller reads its own tasks, one by one
        return [to_task(body) for body in tasks]

    def get_filer_task(self, service: str, datacenter_id: int, filer_id: int, task_id: int) -> Task:
        """A datastore's task, read where the guides read it; the PCC-level route when that one is not
        served (or the datastore is already gone)."""
        path = routes.FILER_TASK.path(
            serviceName=service, datacenterId=datacenter_id, filerId=filer_id, taskId=task_id
        )
        try:
            return to_task(self._get(path, f"reading task {task_id} of filer {filer_id}"))
        except OvhNotFound:
            return self.get_task(service, task_id)

    def find_tasks(self, service: str, datacenter_id: int, since: datetime) -> list[Task]:
        """The PCC's tasks in one datacenter executed since ``since``: a bounded search."""
        bodies = self._objects(
            routes.GLOBAL_TASKS,
            lambda i: self._get(routes.TASK.path(serviceName=service, taskId=i), f"reading task {i}"),
            f"listing tasks of {service}",
            fresh=True,
            serviceName=service,
            datacenterId=datacenter_id,
            **{"executionDate.from": since.isoformat()},
        )
        return [to_task(body) for body in bodies]

    def filer_tasks(self, service: str, datacenter_id: int, filer_id: int) -> list[Task]:
        """The tasks of one datastore, read where the guides read them."""

        def one(task_id: int) -> Any:
            path = routes.FILER_TASK.path(
                serviceName=service, datacenterId=datacenter_id, filerId=filer_id, taskId=task_id
            )
            return self._get(path, f"reading task {task_id}")

        bodies = self._objects(
            routes.FILER_TASKS,
            one,
            f"listing tasks of filer {filer_id}",
            fresh=True,
            serviceName=service,
            datacenterId=datacenter_id,
            filerId=filer_id,
        )
        return [to_task(body) for body in bodies]


def _path_params(route: Route) -> set[str]:
    return set(route.parameters)


def _int_header(headers: Any, name: str, default: int) -> int:
    value = str(headers.get(name) or "")
    return int(value) if value.isdigit() else default


def _migration_path(spec: MigrationSpec, route: str) -> str:
    if route not in MIGRATION_ROUTES:
        raise ValueError(f"unknown migration route {route!r}")
    return routes.MIGRATION_ROUTES[route].path(
        serviceName=spec.dest_service, datacenterId=spec.dest_datacenter_id
    )


def _migration_body(spec: MigrationSpec, route: str) -> dict[str, Any]:
    if route == "copyFiler":
        return {"filerId": spec.filer_id, "accept": True}
    return {"filerId": spec.filer_id}


def _to_pcc(body: Any, service: str) -> Pcc:
    body = body if isinstance(body, dict) else {}
    return Pcc(
        service_name=str(body.get("serviceName") or service),
        zone=str(body.get("location") or "unknown"),
        description=str(body.get("description") or ""),
    )


def _to_datacenter(body: Any, datacenter_id: int) -> Datacenter:
    body = body if isinstance(body, dict) else {}
    return Datacenter(
        datacenter_id=int(body.get("datacenterId", datacenter_id)),
        name=str(body.get("name") or ""),
        commercial_name=str(body.get("commercialName") or ""),
        description=str(body.get("description") or ""),
    )
