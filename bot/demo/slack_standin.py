"""A local stand-in for the Slack Web API and for response_url hooks.

It answers the methods pcc-bot calls, records every call, can be told to fail (429 with
Retry-After, 5xx, slow answers), and hands each message to an optional listener: the console
prints them; the tests assert on the recorded calls. It never talks to Slack.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER_ID = "UPCCBOT"
TEAM_ID = "T0PCC"


@dataclass(frozen=True)
class SlackCall:
    method: str  # "chat.postMessage", ... or "response_url"
    args: dict[str, Any]
    status: int


@dataclass
class _Failure:
    method: str
    status: int
    times: int
    retry_after: int | None
    delay: float


@dataclass
class SlackStandIn:
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    socket_url: str | None = None  # what apps.connections.open hands out (Socket Mode tests)
    #: Methods Slack refuses with ok: false and this error code (a revoked token: invalid_auth).
    refused_methods: dict[str, str] = field(default_factory=dict)
    scopes: tuple[str, ...] = ()  # what auth.test reports in x-oauth-scopes
    users: tuple[str, ...] = ()  # user ids users.info knows
    #: A person's Slack locale (``fr-FR``), which users.info gives with ``include_locale`` (they are
    #: known to users.info too); a known person without one is ``en-US``.
    locales: dict[str, str] = field(default_factory=dict)
    channels: tuple[str, ...] = ()  # channel ids conversations.info knows
    upload_base: str = ""  # where files.getUploadURLExternal sends uploads (this server)
    #: Channels whose messages Slack refuses for good, with the error it gives (not_in_channel...).
    refused_channels: dict[str, str] = field(default_factory=dict)
    #: Slack refuses a message whose blocks carry more text than this (msg_blocks_too_long); None: any.
    max_block_text: int | None = None
    listener: Callable[[SlackCall], None] | None = None
    calls: list[SlackCall] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self, method: str, status: int = 429, times: int = 1, retry_after: int | None = 1, delay: float = 0.0
    ) -> None:
        with self._lock:
            self._failures.append(_Failure(method, status, times, retry_after, delay))

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.status == 200]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[SlackCall], bool] = lambda _: True,
    ) -> list[SlackCall]:
        """Wait until ``count`` accepted calls of ``method`` match; returns them (maybe fewer)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls_to(method) if where(c)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == method and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    def answer(self, method: str, args: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        refused = self._refused(method, args)
        if refused is not None:
            return refused
        headers, body = self._body(method, args)
        self._record(SlackCall(method, args, 200))
        return 200, headers, body

    def _refused(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]] | None:
        """A failure the test asked for, or a refusal Slack would answer; None: answered normally."""
        failure = self._take_failure(method)
        if failure is not None:
            time.sleep(failure.delay)
            retry = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            error = "ratelimited" if failure.status == 429 else "internal_error"
            self._record(SlackCall(method, args, failure.status))
            return failure.status, retry, {"ok": False, "error": error}
        if method in self.refused_methods:
            self._record(SlackCall(method, args, 401))
            return 200, {}, {"ok": False, "error": self.refused_methods[method]}
        refusal = self.refused_channels.get(str(args.get("channel")))
        if (
            refusal is None
            and self.max_block_text is not None
            and block_text(args.get("blocks")) > self.max_block_text
        ):
            refusal = "msg_blocks_too_long"
        if refusal is not None and method in ("chat.postMessage", "chat.update"):
            self._record(SlackCall(method, args, 400))  # Slack answers 200 with ok: false
            return 200, {}, {"ok": False, "error": refusal}
        return None

    def _body(self, method: str, args: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        """The headers and body of a successful answer to ``method``."""
        body: dict[str, Any] = {"ok": True}
        headers: dict[str, str] = {}
        if method == "auth.test":
            headers = {"x-oauth-scopes": ",".join(self.scopes)}
            body.update(
                url="https://pcc.example.slack.com/",
                team="pcc",
                user="pcc-bot",
                team_id=TEAM_ID,
                user_id=BOT_USER_ID,
                bot_id="BPCCBOT",
            )
        elif method in ("chat.postMessage", "chat.update"):
            ts = args.get("ts") or f"{int(time.time())}.{next(self._ts):06d}"
            body.update(
                channel=args.get("channel"),
                ts=ts,
                message={"text": args.get("text"), "blocks": args.get("blocks")},
            )
        elif method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            body.update(upload_url=f"{self.upload_base}/upload/{file_id}", file_id=file_id)
        elif method == "files.completeUploadExternal":
            body["files"] = [{"id": f["id"], "title": f.get("title")} for f in args.get("files", [])]
        elif method == "apps.connections.open":
            body["url"] = self.socket_url
        elif method == "usergroups.users.list":
            group = args.get("usergroup", "")
            if group not in self.usergroups:
                return headers, {"ok": False, "error": "no_such_subteam"}
            body["users"] = self.usergroups[group]
        elif method == "users.info":
            user = str(args.get("user"))
            if user not in self.users and user not in self.locales:
                body = {"ok": False, "error": "user_not_found"}
            else:
                body["user"] = {"id": user, "name": user.lower(), "deleted": False}
                if str(args.get("include_locale")).lower() in ("1", "true"):
                    body["user"]["locale"] = self.locales.get(user, "en-US")
        elif method == "conversations.open":
            body["channel"] = {"id": "D" + str(args.get("users", "X"))[1:]}
        elif method == "conversations.info":
            if args.get("channel") not in self.channels:
                body = {"ok": False, "error": "channel_not_found"}
            else:
                body["channel"] = {"id": args["channel"], "name": "incident", "is_archived": False}
        return headers, body

    def _record(self, call: SlackCall) -> None:
        with self._lock:
            self.calls.append(call)
        if self.listener is not None and call.status == 200:
            self.listener(call)


def block_text(node: object) -> int:
    """The characters of every ``text`` string in a message's blocks (what Slack limits in total)."""
    if isinstance(node, list):
        return sum(block_text(item) for item in node)
    if not isinstance(node, dict):
        return 0
    return sum(len(v) if k == "text" and isinstance(v, str) else block_text(v) for k, v in node.items())


class _Handler(BaseHTTPRequestHandler):
    server: _StandInServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        if self.path.startswith("/upload/"):
            file_id = self.path.removeprefix("/upload/")
            self.server.standin._record(SlackCall("file_upload", {"file_id": file_id, "content": raw}, 200))
            self._reply(200, {}, b"OK", "text/plain")
            return
        args = json.loads(raw) if raw.startswith("{") else dict(parse_qsl(raw, keep_blank_values=True))
        for key in ("blocks", "attachments", "files"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        if self.path.startswith("/response/"):
            self.server.standin._record(SlackCall("response_url", args, 200))
            self._reply(200, {}, b"ok", "text/plain")
            return
        method = self.path.removeprefix("/api/").split("?")[0]
        status, headers, body = self.server.standin.answer(method, args)
        self._reply(status, headers, json.dumps(body).encode(), "application/json")

    do_GET = do_POST

    def _reply(self, status: int, headers: dict[str, str], payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            self.wfile.write(payload)


class _StandInServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: SlackStandIn) -> None:
        super().__init__(address, _Handler)
        self.standin = standin


class SlackStandInServer:
    """Serves a SlackStandIn on 127.0.0.1 in a background thread."""

    def __init__(self, standin: SlackStandIn | None = None, port: int = 0) -> None:
        self.standin = standin or SlackStandIn()
        self._server = _StandInServer(("127.0.0.1", port), self.standin)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="slack-standin", daemon=True
        )
        self._responses = itertools.count(1)
        self.standin.upload_base = self.base

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self) -> str:
        return f"{self.base}/response/{next(self._responses)}"

    def start(self) -> SlackStandInServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
