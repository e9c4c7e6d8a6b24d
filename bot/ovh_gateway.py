"""The OVHcloud adapter: the only module that sees python-ovh.

Maps JSON to the domain's frozen dataclasses, signs every call (python-ovh does), retries reads
with backoff, never retries the migration POST, and keeps the OVH query id of every failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import ovh
import ovh.exceptions

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
    endpoint: str  # a python-ovh endpoint name (ovh-eu...) or an http(s) URL ending in /1.0
    application_key: str | None = None
    application_secret: str | None = None
    consumer_key: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


class _UrlEndpointClient(ovh.Client):  # type: ignore[misc]
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
        return ovh.Client(endpoint=credentials.endpoint, **keys)
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


def _is_retryable(error: OvhApiError) -> bool:
    return error.status is None or error.status in _RETRYABLE_STATUSES


def _optional_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _size_text(size: Any) -> str:
    if isinstance(size, dict) and "value" in size:
        return f"{size['value']} {size.get('unit', '')}".strip()
    return "unknown"


def _to_task(body: dict[str, Any]) -> Task:
    return Task(
        task_id=int(body["taskId"]),
        name=str(body.get("name") or ""),
        state=str(body.get("state") or "unknown"),
        progress=body.get("progress") if isinstance(body.get("progress"), int) else None,
        description=body.get("description"),
        filer_id=body.get("filerId"),
        datacenter_id=body.get("datacenterId"),
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
        self._cache = cache or ReadCache(ttl_seconds=30)
        self._max_wait = max_wait_seconds

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ plumbing

    def _counted(self, method: str, path: str, call: Callable[[], Any]) -> Any:
        route = route_of(path)
        try:
            self.limiter.acquire(self._max_wait)
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

    def _signed(self, method: str, path: str, call: Callable[[], Any]) -> Any:
        """Run a python-ovh call; if the API refused its signature's time, resync the clock once."""
        try:
            return self._counted(method, path, call)
        except ovh.exceptions.APIError as raw:
            response = getattr(raw, "response", None)
            try:
                code = response.json().get("errorCode") if response is not None else None
            except (ValueError, AttributeError):
                code = None
            if code not in _CLOCK_ERRORS:
                raise
            log.warning("OVHcloud refused the request time (%s): resyncing the clock with /auth/time", code)
            self._client._time_delta = None  # python-ovh recomputes it lazily from /auth/time
            return self._counted(method, path, call)

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
        return list(self._pool.map(fn, items))

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

    def _filer_ids(self, service: str, datacenter_id: int) -> list[int]:
        path = f"/dedicatedCloud/{service}/datacenter/{datacenter_id}/filer"
        return [int(i) for i in self._read(path, f"listing filers of datacenter {datacenter_id}")]

    def filer_listing(self, service: str, datacenter_id: int | None) -> FilerListing:
        """The PCC and its datastores in as few round trips as the bound allows: the PCC, the
        datacenters and their filer ids together, then every filer's details concurrently."""
        pcc = self._pool.submit(self.get_pcc, service)
        if datacenter_id is None:
            ids = self._get_named(
                f"/dedicatedCloud/{service}/datacenter",
                f"listing datacenters of {service}",
                f"PCC {service} not found",
            )
            dc_ids = [int(i) for i in ids]
        else:
            dc_ids = [datacenter_id]
        details = [self._pool.submit(self.get_datacenter, service, dc) for dc in dc_ids]
        id_lists = [self._pool.submit(self._filer_ids, service, dc) for dc in dc_ids]
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

    def _migration_path(self, spec: MigrationSpec) -> str:
        return f"/dedicatedCloud/{spec.dest_service}/datacenter/{spec.dest_datacenter_id}/{self._route}"

    def _migration_body(self, spec: MigrationSpec) -> dict[str, Any]:
        if self._route == "copyFiler":
            return {"filerId": spec.filer_id, "accept": True}
        return {"filerId": spec.filer_id}

    def migration_call(self, spec: MigrationSpec) -> str:
        body = ", ".join(f'"{k}": {str(v).lower()}' for k, v in self._migration_body(spec).items())
        return f"POST {self._migration_path(spec)} {{{body}}}"

    def start_migration(self, spec: MigrationSpec) -> StartedTask:
        """The one mutating call. Never retried: an ambiguous failure is reconciled instead."""
        path = self._migration_path(spec)
        try:
            body = self._signed("POST", path, lambda: self._client.post(path, **self._migration_body(spec)))
        except ovh.exceptions.APIError as raw:
            raise _translate(raw, f"POST {path}") from raw
        if not isinstance(body, dict) or "taskId" not in body:
            raise OvhApiError(f"POST {path}: the answer holds no taskId", ambiguous=True)
        return StartedTask(task_id=int(body["taskId"]), query_id=None)

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
        for filer in self._map(lambda i: self.get_filer(service, datacenter_id, int(i)), ids):
            if filer.name == name:
                return filer
        return None

    def remove_filer(self, service: str, datacenter_id: int, filer_id: int) -> StartedTask:
        """Remove a datastore. A mutating call: never retried blindly."""
        path = f"/dedicatedCloud/{service}/datacenter/{datacenter_id}/filer/{filer_id}/remove"
        try:
            body = self._signed("POST", path, lambda: self._client.post(path))
        except ovh.exceptions.APIError as raw:
            raise _translate(raw, f"POST {path}") from raw
        return StartedTask(task_id=int(body["taskId"]), query_id=None)

    def reset_task(self, service: str, task_id: int, reason: str) -> Task:
        """Relaunch a task in `error`. A mutating call: never retried blindly."""
        path = f"/dedicatedCloud/{service}/task/{task_id}/resetTaskState"
        try:
            body = self._signed("POST", path, lambda: self._client.post(path, reason=reason))
        except ovh.exceptions.APIError as raw:
            raise _translate(raw, f"POST {path}") from raw
        return _to_task(body)

    def get_task(self, service: str, task_id: int) -> Task:
        body = self._get(f"/dedicatedCloud/{service}/task/{task_id}", f"reading task {task_id}")
        return _to_task(body)

    def find_tasks(self, service: str, datacenter_id: int, since: datetime) -> list[Task]:
        params = {"datacenterId": datacenter_id, "executionDate.from": since.isoformat()}
        ids = self._get(f"/dedicatedCloud/{service}/globalTasks", f"listing tasks of {service}", **params)
        return self._map(lambda task_id: self.get_task(service, int(task_id)), ids)
