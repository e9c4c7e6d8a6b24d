"""The simulator over HTTP: signature check, faults, query ids, a background server."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.adapters.ovh.description import DESCRIPTION_PATH
from bot.demo.simulator.api import _Api, _ApiError, _auth_layer
from bot.demo.simulator.description import api_description
from bot.demo.simulator.inventory import MAX_CLOCK_SKEW
from bot.demo.simulator.state import Call, Simulator

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server: _SimServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("simulator: " + format, *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _send(
        self, status: int, payload: bytes, query_id: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("X-OVH-QUERYID", query_id)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("simulator: the client left before the answer (it timed out)")

    def _serve(self, method: str) -> None:
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        split = urlsplit(self.path)
        path = split.path.removeprefix("/1.0")
        query_id = sim.next_query_id()
        if sim.latency:
            time.sleep(sim.latency)
        status, payload, extra = self._answer(method, path, split.query, raw)
        fault = sim.take_fault(method, path)
        if fault is not None and fault.headers:
            extra = {**extra, **fault.headers}
        if fault is not None and fault.kind != "headers":
            if fault.kind == "timeout":
                time.sleep(fault.seconds or 10.0)
            elif fault.kind == "drop":
                self.close_connection = True
                self.connection.close()
                return
            elif fault.kind == "invalid-json":
                status, payload = 200, b"<html>Bad gateway</html>"
            elif isinstance(fault.kind, int) and fault.body is not None:
                status, payload = fault.kind, json.dumps(fault.body).encode()
            elif isinstance(fault.kind, int):
                status = fault.kind
                payload = json.dumps(
                    {
                        "class": "Server::InternalServerError"
                        if status >= 500
                        else "Client::TooManyRequests"
                        if status == 429
                        else "Client::Error",
                        "message": f"Injected failure {status}",
                    }
                ).encode()
        with sim._lock:
            sim.calls.append(Call(method, path + (f"?{split.query}" if split.query else ""), raw, status))
        self._send(status, payload, query_id, extra)

    def _answer(self, method: str, path: str, query: str, raw: str) -> tuple[int, bytes, dict[str, str]]:
        sim = self.server.sim
        try:
            if path == "/auth/time" and method == "GET":
                return 200, json.dumps(int(sim.wall_clock())).encode(), {}
            if path == "/auth/credential" and method == "POST":
                return 200, json.dumps(self._new_credential(raw)).encode(), {}
            public = self._public(method, path, query)
            if public is not None:
                return 200, public, {}
            self._check_signature(method, raw)
            consumer = str(self.headers.get("X-Ovh-Consumer"))
            if not sim.allowed(consumer, method, path):
                raise _auth_layer(403, "NOT_GRANTED_CALL", "This call has not been granted")
            body = json.loads(raw) if raw else None
            pages = self._pages() if sim.expansion else None
            result, extra = self.server.api.dispatch(method, path, parse_qs(query), body, pages, consumer)
            return 200, json.dumps(result).encode(), extra
        except _ApiError as error:
            return error.status, json.dumps(error.body).encode(), {}
        except json.JSONDecodeError:
            body = {"class": "Client::BadRequest", "message": "Invalid JSON body"}
            return 400, json.dumps(body).encode(), {}

    def _public(self, method: str, path: str, query: str) -> bytes | None:
        """The unauthenticated pages: the API description, and the consumer key's validation URL
        (opening it validates the key, as the account owner's login does)."""
        sim = self.server.sim
        if method == "GET" and path == DESCRIPTION_PATH:
            return json.dumps(api_description(sim.describes_copy_routes)).encode()
        if method == "GET" and path.rstrip("/") == "/auth":
            token = (parse_qs(query).get("credentialToken") or [""])[0]
            if token not in sim.pending_credentials:
                raise _auth_layer(403, "INVALID_CREDENTIAL", "This credential token is unknown or validated")
            sim.validate(token)
            return json.dumps({"state": "validated", "consumerKey": token}).encode()
        return None

    def _pages(self) -> tuple[int, int] | None:
        """(page size, page number) when the call asks for whole objects (list expansion)."""
        if not str(self.headers.get("X-Pagination-Mode") or "").startswith("CachedObjectList"):
            return None
        size = str(self.headers.get("X-Pagination-Size") or "1000")
        number = str(self.headers.get("X-Pagination-Number") or "1")
        if self.server.sim.ignores_page_number:
            number = "1"
        return (int(size) if size.isdigit() else 1000), (int(number) if number.isdigit() else 1)

    def _new_credential(self, raw: str) -> dict[str, Any]:
        """POST /auth/credential (no signature, only the application key): a pending consumer key."""
        sim = self.server.sim
        if self.headers.get("X-Ovh-Application") not in sim.credentials:
            raise _auth_layer(403, "INVALID_KEY", "This application key is invalid")
        rules = json.loads(raw or "{}").get("accessRules") or []
        key = f"sim-ck-{len(sim.pending_credentials) + 1}"
        sim.pending_credentials[key] = rules
        return {
            "state": "pendingValidation",
            "consumerKey": key,
            "validationUrl": f"http://{self.headers.get('Host')}/auth/?credentialToken={key}",
        }

    def _check_signature(self, method: str, raw: str) -> None:
        sim = self.server.sim
        app_key = self.headers.get("X-Ovh-Application")
        consumer = self.headers.get("X-Ovh-Consumer")
        stamp = self.headers.get("X-Ovh-Timestamp")
        signature = self.headers.get("X-Ovh-Signature")
        if not app_key or app_key not in sim.credentials:
            raise _auth_layer(403, "INVALID_KEY", "This application key is invalid")
        if not consumer or consumer not in sim.consumer_keys:
            raise _auth_layer(403, "INVALID_CREDENTIAL", "This credential is not valid")
        if not stamp or not stamp.isdigit() or abs(int(stamp) - sim.wall_clock()) > MAX_CLOCK_SKEW:
            raise _auth_layer(400, "QUERY_TIME_OUT", "Query out of time")
        url = f"http://{self.headers.get('Host')}{self.path}"
        material = "+".join([sim.credentials[app_key], consumer, method, url, raw, stamp])
        expected = "$1$" + hashlib.sha1(material.encode("utf-8")).hexdigest()
        if signature != expected:
            raise _auth_layer(400, "INVALID_SIGNATURE", "Invalid signature")


class _SimServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        super().__init__(address, _Handler)
        self.sim = sim
        self.api = _Api(sim)


class SimulatorServer:
    """Runs a Simulator over HTTP in a background thread. ``url`` ends in /1.0."""

    def __init__(self, sim: Simulator | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim or Simulator()
        self._server = _SimServer((host, port), self.sim)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="ovh-simulator", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/1.0"

    def start(self) -> SimulatorServer:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(0.2)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
