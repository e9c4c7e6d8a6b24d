"""HTTP mode: a small WSGI app (`POST /slack/events`, `GET /healthz`) served by waitress."""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl

import waitress
from slack_bolt import App, BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import Clock as SignatureClock
from slack_sdk.signature import SignatureVerifier

from bot.domain import PccBotError
from bot.support.executor import AckGate
from bot.usecases.ports import Clock

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)


def parse_slack_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """Parse a Slack HTTP body. Bolt 1.30 tests `"payload" in body` on the raw string, so a slash
    command whose text merely contains "payload" is parsed as {} and dropped (a known
    Bolt trap); here a form body uses `payload` only when it is a real form field."""
    if not raw:
        return {}
    if content_type == "application/json" or raw.startswith("{"):
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {}
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in fields:
        payload = json.loads(fields["payload"])
        return payload if isinstance(payload, dict) else {}
    return fields


class SlackHttpRequest(BoltRequest):
    """A BoltRequest from an HTTP body, parsed by ``parse_slack_body``. Signature checks still use
    the untouched raw body."""

    def __init__(self, *, body: str, query: str | None, headers: dict[str, Any]) -> None:
        super().__init__(body=body, query=query, headers=headers)
        parsed = parse_slack_body(self.raw_body, self.content_type)
        if parsed != self.body:
            self.body = parsed
            self.context = build_context(BoltContext({}), parsed)


EVENTS_PATH = "/slack/events"
#: Slack's signature check accepts a timestamp from 5 minutes before it to 5 minutes after it: a request
#: first seen 5 minutes early is still accepted 10 minutes later, so a replay is remembered that long
#: (and a margin for the clock the replicas share, the database's).
REPLAY_WINDOW_SECONDS = 2 * 5 * 60 + 30
MAX_BODY = 1024 * 1024

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
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


class Replays(Protocol):
    def first_sight(self, key: str, window: float) -> bool:
        """True the first time ``key`` is seen within ``window`` seconds, by any replica."""
        ...


class LocalReplays:
    """Signed requests seen by this process (a bot with no database, and the tests' own servers)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock

    def first_sight(self, key: str, window: float) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen and now - next(iter(self._seen.values())) > window:
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


class _EpochClock(SignatureClock):
    """The signature check's clock: the service's (on replicas, the database's time)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock.now().timestamp()


class Health(Protocol):
    @property
    def started(self) -> bool: ...

    def readiness(self) -> dict[str, bool]: ...

    def warnings(self) -> list[str]: ...

    def metrics(self) -> str: ...


class SlackWsgi:
    """WSGI callable. With a Bolt app: `POST /slack/events` (signature and timestamp checked before
    anything of the body is parsed) and `GET /healthz`. With ``ops``: also `GET /readyz` (every check
    passes) and `GET /metrics` (Prometheus text), behind a bearer token when ``ops_token`` is set.
    Production serves Slack and the operations endpoints on separate listeners (`pcc-bot serve`)."""

    def __init__(
        self,
        app: App | None,
        health: Health,
        *,
        signing_secret: str | None = None,
        ops: bool = False,
        ops_token: str | None = None,
        replays: Replays | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._app = app
        self._health = health
        # Replicas check a timestamp on the clock they share (the database's), so that the replay
        # memory (on that clock too) covers every replica's window of acceptance.
        verifier_clock = _EpochClock(clock) if clock is not None else SignatureClock()
        self._verifier = SignatureVerifier(signing_secret, clock=verifier_clock) if signing_secret else None
        self._ops = ops
        self._ops_token = ops_token
        # Signed requests already handled, for as long as their timestamp is accepted: a replay
        # (someone who captured one, or a delivery repeated as is) is answered and not handled again,
        # by whichever replica it reaches when they are remembered in the shared database.
        self._replays = replays or LocalReplays()
        # The time each signed Slack request took to be answered (its ack), when the health has a place
        # for it (the runtime's metrics: pcc_slack_ack_seconds).
        self._observe_ack: Callable[[float], None] | None = getattr(health, "observe_ack", None)
        # The acks in flight, when the health has the runtime's gate: its work pools give way to them
        # (bot/support/executor.py: AckGate).
        self._acks: AckGate | None = getattr(health, "acks", None)

    def __repr__(self) -> str:  # never print the signing secret or the token
        return f"SlackWsgi(events={self._app is not None}, ops={self._ops})"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if method == "GET" and path == "/healthz":
            started = self._health.started  # alive and started: no database or network check
            return self._reply(start_response, 200 if started else 503, {"ok": started, "started": started})
        if method == "GET" and path in ("/readyz", "/metrics") and self._ops:
            if not self._authorized(environ):
                return self._reply(start_response, 401, {"error": "bearer token required"})
            return self._ops_answer(path, start_response)
        if path != EVENTS_PATH or self._app is None:
            return self._reply(start_response, 404, {"error": "not found"})
        if method != "POST":
            return self._reply(start_response, 405, {"error": "use POST"})
        arrived = time.perf_counter()
        if self._acks is None:
            answer = self._events(environ, start_response)
        else:
            with self._acks.acking():  # the work after earlier acks gives way meanwhile
                answer = self._events(environ, start_response)
        if self._observe_ack is not None:
            self._observe_ack(time.perf_counter() - arrived)
        return answer

    def _authorized(self, environ: WSGIEnvironment) -> bool:
        if not self._ops_token:
            return True
        given = str(environ.get("HTTP_AUTHORIZATION") or "")
        return hmac.compare_digest(given.encode(), f"Bearer {self._ops_token}".encode())

    def _ops_answer(self, path: str, start_response: StartResponse) -> Iterable[bytes]:
        if path == "/readyz":
            checks = self._health.readiness()
            ok = all(checks.values())
            body: dict[str, Any] = {"ok": ok, **checks, "warnings": self._health.warnings()}
            return self._reply(start_response, 200 if ok else 503, body)
        payload = self._health.metrics().encode()
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                ("Content-Length", str(len(payload))),
            ],
        )
        return [payload]

    def _events(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self._app is not None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:  # waitress already refuses a larger Content-Length
            return self._reply(start_response, 413, {"error": "body too large"})
        raw_bytes = environ["wsgi.input"].read(length)
        headers = _headers(environ)
        if not self._signed(raw_bytes, headers):
            return self._reply(start_response, 401, {"error": "invalid request"})
        raw = raw_bytes.decode("utf-8", errors="replace")
        try:
            request = SlackHttpRequest(body=raw, query=environ.get("QUERY_STRING"), headers=headers)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # not Slack's shapes
            return self._reply(start_response, 400, {"error": "malformed body"})
        # A list's options are read-only and may legitimately be asked twice in one second with the same
        # bytes (typing, deleting, typing again); anything else replayed is answered, not handled again.
        if request.body.get("type") != "block_suggestion" and self._replayed(headers):
            log.warning("a signed request was received again within its validity: not handled twice")
            return self._reply(start_response, 200, {"ok": True, "duplicate": True})
        response = self._app.dispatch(request)
        headers_out = [(name, value) for name, values in response.headers.items() for value in values]
        start_response(f"{response.status} {_REASONS.get(response.status, '')}".strip(), headers_out)
        return [response.body.encode("utf-8")]

    def _signed(self, body: bytes, headers: dict[str, str]) -> bool:
        """Slack's signature over the raw body, with a timestamp less than 5 minutes old."""
        if self._verifier is None:
            return True
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not timestamp.isdigit() or not signature:
            return False
        return self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature)

    def _replayed(self, headers: dict[str, str]) -> bool:
        """True when this exact signed request was seen within the last 5 minutes (bounded memory:
        the signature check already refuses anything older)."""
        if self._verifier is None:
            return False
        key = f"{headers.get('x-slack-request-timestamp')}:{headers.get('x-slack-signature')}"
        try:
            return not self._replays.first_sight(key, REPLAY_WINDOW_SECONDS)
        except PccBotError as error:  # the database is down: handled (decisions are still CAS)
            log.warning("replay check skipped: %s", error)
            return False

    @staticmethod
    def _reply(start_response: StartResponse, status: int, body: dict[str, Any]) -> Iterable[bytes]:
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {_REASONS[status]}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]


#: waitress set for the internet (docs/operations.md, "HTTP mode"): a Content-Length over the limit is
#: answered 413 before the body is read; idle and slow clients cannot exhaust the connections; poll().
SERVER_SETTINGS: dict[str, Any] = {
    "max_request_body_size": MAX_BODY + 1,  # waitress refuses a Content-Length >= this
    "max_request_header_size": 64 * 1024,
    "connection_limit": 1000,
    "channel_timeout": 15,  # an idle connection is closed after 15 s (Slack sends a request at once)
    "cleanup_interval": 5,
    "asyncore_use_poll": True,
    "expose_tracebacks": False,
}


class HttpServer:
    """waitress in a background thread, with a stop that lets the server loop end by itself."""

    def __init__(self, wsgi: Callable[..., Iterable[bytes]], host: str, port: int, threads: int = 8) -> None:
        try:
            self._server = waitress.create_server(
                wsgi, host=host, port=port, threads=threads, ident="pcc-bot", **SERVER_SETTINGS
            )
        except OSError as error:
            raise OSError(error.errno, error.strerror, f"{host}:{port}") from error
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def address(self) -> str:
        return f"{self._server.effective_host}:{self.port}"

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
