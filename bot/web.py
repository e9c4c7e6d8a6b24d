"""HTTP mode: a small WSGI app (`POST /slack/events`, `GET /healthz`) served by waitress."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import waitress
from slack_bolt import App

from bot.app import SlackHttpRequest

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    out = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = str(environ["CONTENT_TYPE"])
    return out


class Health(Protocol):
    def readiness(self) -> dict[str, bool]: ...

    def metrics(self) -> str: ...


class SlackWsgi:
    """WSGI callable: `POST /slack/events` (when given a Bolt app), `GET /healthz` (alive and
    started), `GET /readyz` (every check passes), `GET /metrics` (Prometheus text)."""

    def __init__(self, app: App | None, health: Health) -> None:
        self._app = app
        self._health = health

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if method == "GET" and path in ("/healthz", "/readyz"):
            checks = self._health.readiness()
            if path == "/healthz":
                checks = {"started": checks["started"]}
            ok = all(checks.values())
            return self._reply(start_response, 200 if ok else 503, {"ok": ok, **checks})
        if method == "GET" and path == "/metrics":
            payload = self._health.metrics().encode()
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                    ("Content-Length", str(len(payload))),
                ],
            )
            return [payload]
        if path != EVENTS_PATH or self._app is None:
            return self._reply(start_response, 404, {"error": "not found"})
        if method != "POST":
            return self._reply(start_response, 405, {"error": "use POST"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return self._reply(start_response, 413, {"error": "body too large"})
        raw = environ["wsgi.input"].read(length).decode("utf-8", errors="replace")
        try:
            request = SlackHttpRequest(body=raw, query=environ.get("QUERY_STRING"), headers=_headers(environ))
        except (ValueError, TypeError, KeyError, AttributeError):  # not JSON, or not Slack's shapes
            return self._reply(start_response, 400, {"error": "malformed body"})
        response = self._app.dispatch(request)
        headers = [(name, value) for name, values in response.headers.items() for value in values]
        start_response(f"{response.status} {_REASONS.get(response.status, '')}".strip(), headers)
        return [response.body.encode("utf-8")]

    @staticmethod
    def _reply(start_response: StartResponse, status: int, body: dict[str, Any]) -> Iterable[bytes]:
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {_REASONS[status]}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]


class HttpServer:
    """waitress in a background thread, with a stop that lets the server loop end by itself."""

    def __init__(self, wsgi: Callable[..., Iterable[bytes]], host: str, port: int, threads: int = 8) -> None:
        self._server = waitress.create_server(wsgi, host=host, port=port, threads=threads, ident="pcc-bot")
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close every socket from inside the server loop (closing them from here races its poll),
        wait for the loop to end, then let running requests finish."""
        sockets = self._server._map

        def close_all() -> None:
            for dispatcher in list(sockets.values()):
                dispatcher.close()

        if self._thread.is_alive():
            try:
                self._server.trigger.pull_trigger(close_all)
            except OSError:  # the trigger is already closed: the loop is ending on its own
                log.debug("server trigger already closed")
            self._thread.join(timeout)
        self._server.task_dispatcher.shutdown(timeout=timeout)
