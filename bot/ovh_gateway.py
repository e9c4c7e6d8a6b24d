"""The OVHcloud adapter: the only module that sees python-ovh.

Maps JSON to the domain's frozen dataclasses, signs every call (python-ovh does), retries reads
with backoff, never retries the migration POST, and keeps the OVH query id of every failure.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import ovh
import ovh.exceptions
from requests import RequestException

from bot import logs, waits
from bot.cache import ReadCache
from bot.domain import (
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
from bot.metrics import Counters, route_of
from bot.ratelimit import RateLimited, SlidingWindow

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MIGRATION_ROUTES = ("linkFilerFromSbg", "copyFiler")
_RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Auth-layer answers to a request signed with a stale clock: python-ovh computes its time delta once,
# so a bot running for weeks must recompute it. A request refused for this was not carried out.
_CLOCK_ERRORS = frozenset({"QUERY_TIME_OUT", "INVALID_SIGNATURE"})


@dataclass(frozen=True)
class OvhCredentials:
    """Secrets are left out of repr(): a debug line or a traceback never shows them."""

    endpoint: str  # a python-ovh endpoint name (ovh-eu...) or an http(s) URL ending in /1.0
    application_key: str | None = None
    application_secret: str | None = field(default=None, repr=False)
    consumer_key: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


class _Client(ovh.Client):  # type: ignore[misc]
    """python-ovh's client with a repr that names the endpoint and nothing secret."""

    def __repr__(self) -> str:
        return f"OvhClient(endpoint={self._endpoint!r})"


class _UrlEndpointClient(_Client):
    """python-ovh only knows named endpoints; this one talks to any base URL (the simulator)."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(endpoint="ovh-eu", **kwargs)
        self._endpoint = url.rstrip("/")


def make_client(credentials: OvhCredentials, timeout: float | tuple[float, float] = (5.0, 30.0)) -> Any:
    """A python-ovh client with every credential passed explicitly."""
    keys: dict[str, Any] = {
        "timeout": timeout,
        # Explicit empty values stop python-ovh from falling back to other sources for what we
        # deliberately left unset (it still reads ovh.conf, as DESIGN.md promises, for the rest).
        "application_key": credentials.application_key,
        "application_secret": credentials.application_secret,
        "consumer_key": credentials.consumer_key,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    try:
        if credentials.endpoint.startswith(("http://", "https://")):
            return _UrlEndpointClient(credentials.endpoint, **keys)
        return _Client(endpoint=credentials.endpoint, **keys)
    except ovh.exceptions.InvalidRegion as error:
        raise OvhApiError(f"unknown OVH_ENDPOINT {credentials.endpoint!r}") from error
    except ovh.exceptions.InvalidConfiguration as error:
        raise OvhApiError(f"invalid OVHcloud credentials configuration: {error}") from error


def _translate(error: ovh.exceptions.APIError, what: str) -> OvhApiError:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    query_id = getattr(error, "query_id", None)
    error_class = None
    message = str(error.args[0]) if error.args and error.args[0] else type(error).__name__
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            error_class = body.get("class") or body.get("errorCode")
            message = str(body.get("message") or message)
    if isinstance(error, ovh.exceptions.HTTPError):
        detail = error.args[1] if len(error.args) > 1 else error
        return OvhApiError(f"{what}: network failure ({detail})", ambiguous=True)
    if isinstance(error, ovh.exceptions.InvalidResponse):
        return OvhApiError(f"{what}: the answer was not valid JSON", status=status, ambiguous=True)
    text = f"{what}: {message}" + (f" [{status} {error_class}]" if error_class else f" [{status}]")
    if status == 404:
        return OvhNotFound(text, status=status, error_class=error_class, query_id=query_id)
    ambiguous = status is None or status >= 500
    return OvhApiError(text, status=status, error_class=error_class, query_id=query_id, ambiguous=ambiguous)


def _clock_refusal(error: ovh.exceptions.APIError) -> str | None:
    """The errorCode of an authentication-layer refusal of the request's time or signature, else None.

    Only a 400/401/403 in the authentication layer's format counts: the same words in a 5xx (or any
    other) answer say nothing about whether the call ran, so they never lead to a resend."""
    response = getattr(error, "response", None)
    if response is None or response.status_code not in (400, 401, 403):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or "httpCode" not in body:
        return None
    code = body.get("errorCode")
    return str(code) if code in _CLOCK_ERRORS else None


def _is_retryable(error: OvhApiError) -> bool:
    return error.status is None or error.status in _RETRYABLE_STATUSES


def _optional_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _size_text(size: Any) -> str:
    if isinstance(size, dict) and "value" in size:
        return f"{size['value']} {size.get('unit', '')}".strip()
    return "unknown"


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _to_task(body: dict[str, Any]) -> Task:
    return Task(
        task_id=int(body["taskId"]),
        name=str(body.get("name") or ""),
        state=str(body.get("state") or "unknown"),
        progress=body.get("progress") if isinstance(body.get("progress"), int) else None,
        description=body.get("description"),
        filer_id=_optional_int(body.get("filerId")),
        datacenter_id=_optional_int(body.get("datacenterId")),
        executed_at=_when(body.get("executionDate")),
    )


def _to_filer(body: dict[str, Any], filer_id: int) -> Filer:
    vm_total = body.get("vmTotal")
    return Filer(
        filer_id=int(body.get("filerId", filer_id)),
        name=str(body.get("name") or f"filer-{filer_id}"),
        size=_size_text(body.get("size")),
        space_used_gb=_optional_float(body.get("spaceUsed")),
        space_free_gb=_optional_float(body.get("spaceFree")),
        vm_total=vm_total if isinstance(vm_total, int) else None,
        state=str(body.get("state") or "unknown"),
    )


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

    def __repr__(self) -> str:
        return f"OvhGateway(client={self._client!r}, route={self._route!r})"

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ plumbing

    def _counted(self, method: str, path: str, call: Callable[[], Any], mutating: bool = False) -> Any:
        route = route_of(path)
        try:
            self.limiter.acquire(
                self._max_wait, mutating=mutating, who=logs.current_user(), on_wait=waits.current()
            )
        except RateLimited as error:
            self._counters.inc("pcc_ovh_throttled_total", method=method, route=route)
            raise OvhApiError(f"{method} {path} not sent: {error}") from error
        self._counters.inc("pcc_ovh_calls_total", method=method, route=route)
        try:
            return call()
        except ovh.exceptions.APIError as raw:
            status = getattr(getattr(raw, "response", None), "status_code", None)
            self._counters.inc("pcc_ovh_errors_total", method=method, route=route, status=str(status or 0))
            raise

    def _signed(self, method: str, path: str, call: Callable[[], Any], mutating: bool = False) -> Any:
        """Run a python-ovh call; if the authentication layer refused its signature's time, resync the
        clock and send it once more (a request refused there was not carried out)."""
        try:
            return self._counted(method, path, call, mutating)
        except ovh.exceptions.APIError as raw:
            code = _clock_refusal(raw)
            if code is None:
                raise
            log.warning("OVHcloud refused the request time (%s): resyncing the clock with /auth/time", code)
            self._client._time_delta = None  # python-ovh recomputes it lazily from /auth/time
            return self._counted(method, path, call, mutating)

    def _read(self, path: str, what: str) -> Any:
        """An inventory read: cached briefly, and shared by identical concurrent callers."""
        return self._cache.get(path, lambda: self._get(path, what))

    def _get(self, path: str, what: str, **params: Any) -> Any:
        """A signed GET, retried with exponential backoff on 5xx, 429, timeouts and network errors."""
        for attempt in range(1, self._attempts + 1):
            try:
                return self._signed("GET", path, lambda: self._client.get(path, **params))
            except ovh.exceptions.APIError as raw:
                error = _translate(raw, what)
                if attempt == self._attempts or not _is_retryable(error):
                    raise error from raw
                delay = self._backoff * 2 ** (attempt - 1)
                log.warning("GET %s failed (%s); retry %d in %.1fs", path, error, attempt, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _get_named(self, path: str, what: str, missing: str) -> Any:
        """A GET whose 404 becomes NotFound(``missing``), with the query id for OVHcloud support."""
        try:
            return self._read(path, what)
        except OvhNotFound as error:
            raise NotFound(f"{missing} (OVH query id {error.query_id})") from error

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
            f"/dedicatedCloud/{service}", f"reading PCC {service}", f"PCC {service} not found"
        )
        return Pcc(
            service_name=str(body.get("serviceName") or service),
            zone=str(body.get("location") or "unknown"),
            description=str(body.get("description") or ""),
        )

    def _option_enabled(self, service: str, option: str) -> bool:
        try:
            body = self._read(f"/dedicatedCloud/{service}/{option}", f"reading {option} of {service}")
        except OvhNotFound:
            return False  # never subscribed: answered 404 on some accounts, "disabled" on others
        return isinstance(body, dict) and body.get("state") == "enabled"

    def list_pccs(self) -> list[Pcc]:
        """Every PCC of the account, with its zone (reads cached and fetched concurrently)."""
        names = self._read("/dedicatedCloud", "listing PCCs")
        return self._map(self.get_pcc, [str(name) for name in names])

    def list_datacenters(self, service: str) -> list[Datacenter]:
        ids = self._get_named(
            f"/dedicatedCloud/{service}/datacenter",
            f"listing datacenters of {service}",
            f"PCC {service} not found",
        )
        return self._map(lambda dc: self.get_datacenter(service, int(dc)), ids)

    def get_certifications(self, service: str) -> Certifications:
        hds, pcidss = self._map(lambda option: self._option_enabled(service, option), ["hds", "pcidss"])
        return Certifications(hds=hds, pcidss=pcidss)

    def get_datacenter(self, service: str, datacenter_id: int) -> Datacenter:
        body = self._get_named(
            f"/dedicatedCloud/{service}/datacenter/{datacenter_id}",
            f"reading datacenter {datacenter_id} of {service}",
            f"datacenter {datacenter_id} not found in PCC {service}",
        )
        return Datacenter(
            datacenter_id=int(body.get("datacenterId", datacenter_id)),
            name=str(body.get("name") or ""),
            commercial_name=str(body.get("commercialName") or ""),
        )

    def get_filer(self, service: str, datacenter_id: int, filer_id: int) -> Filer:
        body = self._get_named(
            f"/dedicatedCloud/{service}/datacenter/{datacenter_id}/filer/{filer_id}",
            f"reading filer {filer_id}",
            f"filer {filer_id} not found in datacenter {datacenter_id} of PCC {service}",
        )
        return _to_filer(body, filer_id)

    def _filer_ids(self, service: str, datacenter_id: int) -> list[int]:
        path = f"/dedicatedCloud/{service}/datacenter/{datacenter_id}/filer"
        return [int(i) for i in self._read(path, f"listing filers of datacenter {datacenter_id}")]

    def filer_listing(self, service: str, datacenter_id: int | None) -> FilerListing:
        """The PCC and its datastores in as few round trips as the bound allows: the PCC, the
        datacenters and their filer ids together, then every filer's details concurrently."""
        pcc = self._submit(self.get_pcc, service)
        if datacenter_id is None:
            ids = self._get_named(
                f"/dedicatedCloud/{service}/datacenter",
                f"listing datacenters of {service}",
                f"PCC {service} not found",
            )
            dc_ids = [int(i) for i in ids]
        else:
            dc_ids = [datacenter_id]
        details = [self._submit(self.get_datacenter, service, dc) for dc in dc_ids]
        id_lists = [self._submit(self._filer_ids, service, dc) for dc in dc_ids]
        pairs = [(dc, filer) for dc, ids in zip(dc_ids, id_lists, strict=True) for filer in ids.result()]
        filers = self._map(lambda pair: self.get_filer(service, *pair), pairs)
        by_dc: dict[int, list[Filer]] = {dc: [] for dc in dc_ids}
        for (dc, _), filer in zip(pairs, filers, strict=True):
            by_dc[dc].append(filer)
        return FilerListing(
            pcc=pcc.result(),
            datacenters=tuple(
                DatacenterFilers(datacenter=detail.result(), filers=tuple(by_dc[dc]))
                for dc, detail in zip(dc_ids, details, strict=True)
            ),
        )

    # ------------------------------------------------------------ migration and tasks

    def _migration_path(self, spec: MigrationSpec, route: str) -> str:
        if route not in MIGRATION_ROUTES:
            raise ValueError(f"unknown migration route {route!r}")
        return f"/dedicatedCloud/{spec.dest_service}/datacenter/{spec.dest_datacenter_id}/{route}"

    @staticmethod
    def _migration_body(spec: MigrationSpec, route: str) -> dict[str, Any]:
        if route == "copyFiler":
            return {"filerId": spec.filer_id, "accept": True}
        return {"filerId": spec.filer_id}

    @property
    def migration_route(self) -> str:
        """The route new requests are filed under (PCC_MIGRATION_API)."""
        return self._route

    def migration_call(self, spec: MigrationSpec, route: str) -> str:
        body = ", ".join(f'"{k}": {str(v).lower()}' for k, v in self._migration_body(spec, route).items())
        return f"POST {self._migration_path(spec, route)} {{{body}}}"

    def _mutate(self, path: str, body: dict[str, Any] | None) -> tuple[Any, str | None]:
        """A mutating POST: sent once (a clock refusal aside), ahead of reads in the budget, never
        retried; returns the answer and its OVH query id. An answer that does not say clearly whether
        the call ran (timeout, lost connection, 5xx, invalid JSON) raises an ambiguous OvhApiError."""

        def send() -> Any:
            try:
                response = self._client.raw_call("POST", path, body, True)
            except RequestException as error:
                raise ovh.exceptions.HTTPError("Low HTTP request failed error", error) from error
            if response.status_code >= 300:
                raise ovh.exceptions.APIError(f"HTTP {response.status_code}", response=response)
            try:
                answer = response.json() if response.status_code != 204 else None
            except ValueError as error:
                raise ovh.exceptions.InvalidResponse("Failed to decode API response", error) from error
            return answer, response.headers.get("X-OVH-QUERYID")

        try:
            answer, query_id = self._signed("POST", path, send, mutating=True)
        except ovh.exceptions.APIError as raw:
            raise _translate(raw, f"POST {path}") from raw
        if not isinstance(answer, dict) or not isinstance(answer.get("taskId"), int):
            raise OvhApiError(f"POST {path}: the answer holds no taskId", query_id=query_id, ambiguous=True)
        return answer, query_id

    def start_migration(self, spec: MigrationSpec, route: str) -> StartedTask:
        """The migration call, on the route the request was filed under."""
        answer, query_id = self._mutate(self._migration_path(spec, route), self._migration_body(spec, route))
        return StartedTask(task_id=int(answer["taskId"]), query_id=query_id)

    def copy_status(self, spec: MigrationSpec) -> CopyStatus | None:
        """The newest copyFilerStatus entry for the request's filer, if the API lists one."""
        dc = f"/dedicatedCloud/{spec.dest_service}/datacenter/{spec.dest_datacenter_id}"
        entries = self._get(f"{dc}/copyFilerStatus", f"reading copy status on {spec.dest_service}")
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
        path = f"/dedicatedCloud/{service}/datacenter/{datacenter_id}/filer"
        ids = self._get(path, f"listing filers of datacenter {datacenter_id}")
        for filer in self._map(lambda i: self._filer_now(service, datacenter_id, int(i)), ids):
            if filer is not None and filer.name == name:
                return filer
        return None

    def _filer_now(self, service: str, datacenter_id: int, filer_id: int) -> Filer | None:
        path = f"/dedicatedCloud/{service}/datacenter/{datacenter_id}/filer/{filer_id}"
        try:
            body = self._get(path, f"reading filer {filer_id}")
        except OvhNotFound:
            return None
        return _to_filer(body, filer_id)

    def filer_exists(self, service: str, datacenter_id: int, filer_id: int) -> bool:
        """Whether the datastore is still there, read now."""
        return self._filer_now(service, datacenter_id, filer_id) is not None

    def remove_filer(self, service: str, datacenter_id: int, filer_id: int) -> StartedTask:
        """Remove a datastore: a mutating call, sent once."""
        path = f"/dedicatedCloud/{service}/datacenter/{datacenter_id}/filer/{filer_id}/remove"
        answer, query_id = self._mutate(path, None)
        return StartedTask(task_id=int(answer["taskId"]), query_id=query_id)

    def reset_task(self, service: str, task_id: int, reason: str) -> StartedTask:
        """Relaunch a task in `error`: a mutating call, sent once."""
        path = f"/dedicatedCloud/{service}/task/{task_id}/resetTaskState"
        answer, query_id = self._mutate(path, {"reason": reason})
        return StartedTask(task_id=int(answer["taskId"]), query_id=query_id)

    def get_task(self, service: str, task_id: int) -> Task:
        body = self._get(f"/dedicatedCloud/{service}/task/{task_id}", f"reading task {task_id}")
        return _to_task(body)

    def get_filer_task(self, service: str, datacenter_id: int, filer_id: int, task_id: int) -> Task:
        """A datastore's task, read where the guides read it; the PCC-level route when that one is not
        served (or the datastore is already gone)."""
        path = f"/dedicatedCloud/{service}/datacenter/{datacenter_id}/filer/{filer_id}/task/{task_id}"
        try:
            return _to_task(self._get(path, f"reading task {task_id} of filer {filer_id}"))
        except OvhNotFound:
            return self.get_task(service, task_id)

    def find_tasks(self, service: str, datacenter_id: int, since: datetime) -> list[Task]:
        """The PCC's tasks in one datacenter executed since ``since``: a bounded search."""
        params = {"datacenterId": datacenter_id, "executionDate.from": since.isoformat()}
        ids = self._get(f"/dedicatedCloud/{service}/globalTasks", f"listing tasks of {service}", **params)
        return self._map(lambda task_id: self.get_task(service, int(task_id)), ids)

    def filer_tasks(self, service: str, datacenter_id: int, filer_id: int) -> list[Task]:
        """The tasks of one datastore, read where the guides read them."""
        base = f"/dedicatedCloud/{service}/datacenter/{datacenter_id}/filer/{filer_id}/task"
        ids = self._get(base, f"listing tasks of filer {filer_id}")
        return self._map(lambda i: _to_task(self._get(f"{base}/{int(i)}", f"reading task {i}")), ids)
