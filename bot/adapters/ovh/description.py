"""OVHcloud's published description of the `dedicatedCloud` API (`GET /1.0/dedicatedCloud.json`, no
authentication): whether each route pcc-bot calls is still there, and the IAM actions it declares.

The copy routes were published in March 2021 for the Strasbourg fire and may be withdrawn; reading the
description tells before any POST. `pcc-bot doctor` prints it; the gateway caches it for the cards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import ovh.client
import requests
from requests import RequestException

from bot.adapters.ovh.routes import AUTH_DETAILS, MIGRATION_ROUTES, Route
from bot.domain import PccBotError
from bot.support.window import RateLimited

DESCRIPTION_PATH = "/dedicatedCloud.json"
PRESENT, ABSENT, UNREAD = "present", "absent", "could not read"
#: How long a read of the description (or its failure) is reused by the filing path.
CACHE_SECONDS = 3600.0


class Unreadable(PccBotError):
    """A public page of the API could not be read; the message names the URL and the cause."""


@dataclass(frozen=True)
class RouteState:
    route: Route
    state: str  # PRESENT, ABSENT or UNREAD
    iam_actions: tuple[str, ...] = ()


def described(description: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(method, path template) of every operation the description lists, with its IAM actions."""
    operations: dict[tuple[str, str], tuple[str, ...]] = {}
    for api in description.get("apis") or []:
        if not isinstance(api, Mapping):
            continue
        for operation in api.get("operations") or []:
            if not isinstance(operation, Mapping):
                continue
            actions = tuple(
                str(action.get("name"))
                for action in operation.get("iamActions") or []
                if isinstance(action, Mapping) and action.get("name")
            )
            operations[(str(operation.get("httpMethod")), str(api.get("path")))] = actions
    return operations


def states(description: Mapping[str, Any], needed: Iterable[Route]) -> list[RouteState]:
    """Each needed `dedicatedCloud` route: present (with its IAM actions) or absent."""
    operations = described(description)
    found = []
    for route in needed:
        if route is AUTH_DETAILS:  # another API (/auth), not described here
            continue
        key = (route.method, route.template)
        state = PRESENT if key in operations else ABSENT
        found.append(RouteState(route, state, operations.get(key, ())))
    return found


def endpoint_url(endpoint: str) -> str:
    """The base URL of an endpoint name (ovh-eu…) or URL, ending in /1.0."""
    if endpoint.startswith(("http://", "https://")):
        return endpoint.rstrip("/")
    if endpoint not in ovh.client.ENDPOINTS:
        raise Unreadable(f"unknown OVH_ENDPOINT {endpoint!r}")
    return str(ovh.client.ENDPOINTS[endpoint])


def public_get(endpoint: str, path: str, timeout: float = 10.0) -> Any:
    """An unauthenticated GET (no credentials needed); OvhApiError naming the cause in a sentence."""
    url = endpoint_url(endpoint) + path
    try:
        answer = requests.get(url, timeout=timeout)
    except RequestException as error:
        raise Unreadable(f"{url}: {unreachable(error)}") from error
    if answer.status_code != 200:
        raise Unreadable(f"{url} answered {answer.status_code}")
    try:
        return answer.json()
    except ValueError as error:
        raise Unreadable(f"{url}: the answer is not JSON") from error


def read(endpoint: str, timeout: float = 10.0) -> dict[str, Any]:
    """The live description at ``endpoint`` (a python-ovh endpoint name or a URL ending in /1.0)."""
    answer = public_get(endpoint, DESCRIPTION_PATH, timeout)
    if not isinstance(answer, dict) or not isinstance(answer.get("apis"), list):
        raise Unreadable(f"{endpoint_url(endpoint)}{DESCRIPTION_PATH}: the answer is not an API description")
    return answer


def unreachable(error: BaseException) -> str:
    """Why a server could not be reached, as a sentence: a DNS failure, a refused connection, a timeout."""
    text = repr(error) + " " + " ".join(str(arg) for arg in getattr(error, "args", ()))
    lowered = text.lower()
    if any(
        word in lowered
        for word in ("name or service not known", "nodename nor servname", "getaddrinfo", "name resolution")
    ):
        return "its name does not resolve (DNS): check the endpoint and this machine's DNS"
    if "refused" in lowered:
        return "the connection was refused: nothing listens at that address"
    if "timed out" in lowered or "timeout" in lowered:
        return "no answer in time: check the network (proxy, firewall)"
    return "it could not be reached: check the network and the endpoint"


class RouteDirectory:
    """The description read at most once per CACHE_SECONDS (a failure too: filing never waits on it
    twice), for the gateway's question: is this copy route absent?"""

    def __init__(self, endpoint: str, limiter: Any = None, seconds: float = CACHE_SECONDS) -> None:
        self._endpoint = endpoint
        self._limiter = limiter  # the call budget: a read takes a place like any call, or waits an hour
        self._seconds = seconds
        self._lock = threading.Lock()
        self._read: tuple[float, dict[tuple[str, str], tuple[str, ...]] | None] | None = None

    def absent(self, migration_route: str) -> bool:
        """True when the description was read and does not list the route; False when it lists it or
        could not be read (nothing is claimed then)."""
        with self._lock:
            now = time.monotonic()
            if self._read is None or now - self._read[0] > self._seconds:
                if not self._spend():
                    return False  # no place in the budget now: claim nothing, read at the next filing
                try:
                    self._read = (now, described(read(self._endpoint, timeout=5.0)))
                except PccBotError:
                    self._read = (now, None)
            operations = self._read[1]
        route = MIGRATION_ROUTES[migration_route]
        return operations is not None and (route.method, route.template) not in operations

    def _spend(self) -> bool:
        if self._limiter is None:
            return True
        try:
            self._limiter.acquire(0.0)
        except RateLimited:
            return False
        return True
