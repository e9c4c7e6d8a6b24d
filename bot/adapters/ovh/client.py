"""The OVHcloud transport: python-ovh clients, one raw signed call, the project's error model, and the
mapping of the API's JSON to the domain's frozen dataclasses. With bot/adapters/ovh/gateway.py, the only code
that sees python-ovh.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import ovh
import ovh.exceptions
from requests import RequestException

from bot.adapters.ovh import routes
from bot.adapters.ovh.credentials import OvhCredentials as OvhCredentials  # still importable from here
from bot.domain import Datacenter, Filer, MigrationApi, MigrationSpec, OvhApiError, OvhNotFound, Pcc, Task
from bot.support import waits

log = logging.getLogger(__name__)

_RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Auth-layer answers to a request signed with a stale clock: python-ovh computes its time delta once,
# so a bot running for weeks must recompute it. A request refused for this was not carried out.
_CLOCK_ERRORS = frozenset({"QUERY_TIME_OUT", "INVALID_SIGNATURE"})


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
        # deliberately left unset (it still reads ovh.conf, as docs/configuration.md says, for the rest).
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


def translate(error: ovh.exceptions.APIError, what: str) -> OvhApiError:
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
        from bot.adapters.ovh.description import unreachable  # a sentence, never the exception's repr

        detail = error.args[1] if len(error.args) > 1 else error
        return OvhApiError(f"{what}: network failure: {unreachable(detail)}", ambiguous=True)
    if isinstance(error, ovh.exceptions.InvalidResponse):
        return OvhApiError(f"{what}: the answer was not valid JSON", status=status, ambiguous=True)
    text = f"{what}: {message}" + (f" [{status} {error_class}]" if error_class else f" [{status}]")
    if status == 404:
        return OvhNotFound(text, status=status, error_class=error_class, query_id=query_id)
    ambiguous = status is None or status >= 500
    failure = OvhApiError(
        text, status=status, error_class=error_class, query_id=query_id, ambiguous=ambiguous
    )
    failure.retry_after = _retry_after(response)
    return failure


def _retry_after(response: Any) -> float | None:
    """Seconds a 429 asks to wait (`Retry-After`), when it says."""
    if response is None or response.status_code != 429:
        return None
    return waits.retry_after(response.headers.get("Retry-After"))


def clock_refusal(error: ovh.exceptions.APIError) -> str | None:
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


def is_retryable(error: OvhApiError) -> bool:
    return error.status is None or error.status in _RETRYABLE_STATUSES


def _optional_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _size_text(size: Any) -> str:
    if isinstance(size, dict) and "value" in size:
        return f"{size['value']} {size.get('unit', '')}".strip()
    return "unknown"


def when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def to_task(body: Any) -> Task:
    """A task object; an answer that is not one (no integer taskId) is an API error, not a crash."""
    task_id = body.get("taskId") if isinstance(body, dict) else None
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise OvhApiError(f"a task answer without a taskId: {str(body)[:200]}")
    description = body.get("description")
    return Task(
        task_id=task_id,
        name=str(body.get("name") or ""),
        state=str(body.get("state") or "unknown"),
        progress=body.get("progress") if isinstance(body.get("progress"), int) else None,
        description=None if description is None else _text(description),
        filer_id=_optional_int(body.get("filerId")),
        datacenter_id=_optional_int(body.get("datacenterId")),
        executed_at=when(body.get("executionDate")),
    )


def to_tasks(bodies: Any) -> list[Task]:
    """The tasks of a list; an entry that is not a task is left out (and logged), never the list."""
    tasks = []
    for body in bodies or []:
        try:
            tasks.append(to_task(body))
        except OvhApiError as error:
            log.warning("a task of the list was left out: %s", error)
    return tasks


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def to_filer(body: dict[str, Any], filer_id: int, *, is_global: bool = False) -> Filer:
    vm_total = body.get("vmTotal")
    return Filer(
        filer_id=int(body.get("filerId", filer_id)),
        name=str(body.get("name") or f"filer-{filer_id}"),
        size=_size_text(body.get("size")),
        space_used_gb=_optional_float(body.get("spaceUsed")),
        space_free_gb=_optional_float(body.get("spaceFree")),
        vm_total=vm_total if isinstance(vm_total, int) else None,
        state=str(body.get("state") or "unknown"),
        is_global=is_global,
    )


Answer = tuple[Any, Mapping[str, str]]


def send(
    client: Any, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> Answer:
    """One signed call through python-ovh's ``raw_call`` (the only call that takes headers and gives the
    response back): the JSON answer and the response headers (X-OVH-QUERYID, X-Pagination-*). Failures
    are python-ovh's exceptions, with the response attached, as ``translate`` expects them."""
    try:
        response = client.raw_call(method, path, body, True, headers=headers)
    except RequestException as error:
        raise ovh.exceptions.HTTPError("Low HTTP request failed error", error) from error
    if response.status_code >= 300:
        raise ovh.exceptions.APIError(f"HTTP {response.status_code}", response=response)
    try:
        answer = response.json() if response.status_code != 204 else None
    except ValueError as error:
        raise ovh.exceptions.InvalidResponse("Failed to decode API response", error) from error
    return answer, response.headers


def with_query(path: str, params: Mapping[str, object]) -> str:
    """``path`` with its query string, as python-ovh writes it (booleans as true/false)."""
    if not params:
        return path
    values = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
    return f"{path}?{urlencode(values)}"


def migration_path(spec: MigrationSpec, route: str) -> str:
    if route not in routes.MIGRATION_ROUTES:
        raise ValueError(f"unknown migration route {route!r}")
    return routes.MIGRATION_ROUTES[route].path(
        serviceName=spec.dest_service, datacenterId=spec.dest_datacenter_id
    )


def migration_body(spec: MigrationSpec, route: str) -> dict[str, Any]:
    if route == MigrationApi.COPY_FILER:
        return {"filerId": spec.filer_id, "accept": True}
    return {"filerId": spec.filer_id}


def to_pcc(body: Any, service: str) -> Pcc:
    body = body if isinstance(body, dict) else {}
    return Pcc(
        service_name=str(body.get("serviceName") or service),
        zone=str(body.get("location") or "unknown"),
        description=str(body.get("description") or ""),
    )


def to_datacenter(body: Any, datacenter_id: int) -> Datacenter:
    body = body if isinstance(body, dict) else {}
    return Datacenter(
        datacenter_id=int(body.get("datacenterId", datacenter_id)),
        name=str(body.get("name") or ""),
        commercial_name=str(body.get("commercialName") or ""),
        description=str(body.get("description") or ""),
    )
