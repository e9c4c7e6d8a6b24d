"""The HTTP surface under abuse, at the socket: body limits, idle connections, unsigned and malformed
bodies, the operations listener, secrets in repr."""

import json
import socket
import time
from dataclasses import replace
from urllib.parse import urlencode

import pytest
import requests

from bot.adapters.http.server import HttpServer, SlackWsgi
from bot.adapters.ovh.gateway import OvhCredentials, SignedOvhGateway, make_client
from tests.helpers import SIGNING_SECRET, signed_headers


def connect(bot) -> socket.socket:
    host, port = bot.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def status_line(sock: socket.socket) -> str:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def test_a_huge_content_length_is_refused_before_its_body_is_sent(bot):
    with connect(bot) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 209715200\r\n\r\n"
        )  # 200 MiB announced, not one byte of it sent
        assert status_line(sock) == "HTTP/1.1 413 Request Entity Too Large"


def test_idle_sockets_do_not_lock_anyone_out(bot):
    idle = [connect(bot) for _ in range(150)]
    try:
        for sock in idle[:50]:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")  # slow body
        response = requests.get(f"{bot.url}/healthz", timeout=5)
        assert response.status_code == 200
        assert bot.command("help").status_code == 200
    finally:
        for sock in idle:
            sock.close()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"type": "block_actions", "x": json.loads(nested(500))})[:-1] + nested(100_000) + "}",
        nested(200_000),
        "payload=" + nested(100_000),
        "\x00\xff" * 1000,
        "",
    ],
)
def test_no_unauthenticated_body_gets_past_the_signature(bot, body):
    response = bot.post(body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    forged = bot.post(body, headers=signed_headers(body, secret="not-the-secret"))
    assert forged.status_code == 401


def test_a_signed_but_malformed_body_is_a_400_never_a_500(bot):
    for body in (nested(200_000), "payload=" + nested(100_000), "payload=%7B%22user%22%3A1%7D", "{"):
        response = bot.post(body, headers={**signed_headers(body), "Content-Type": "application/json"})
        assert response.status_code == 400, body[:40]


def test_a_stale_timestamp_is_refused(bot):
    body = urlencode({"command": "/pcc", "text": "help", "user_id": "UALICE", "channel_id": "COPS"})
    stale = bot.post(body, headers=signed_headers(body, timestamp=int(time.time()) - 600))
    assert stale.status_code == 401


def test_a_replayed_signed_request_is_handled_once(bot):
    body = urlencode(
        {
            "command": "/pcc",
            "text": "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515",
            "user_id": "UALICE",
            "channel_id": "COPS",
            "response_url": bot.slack.response_url(),
        }
    )
    headers = signed_headers(body)
    first, again = bot.post(body, headers=headers), bot.post(body, headers=headers)
    bot.settle()
    assert (first.status_code, again.status_code) == (200, 200)
    assert len(bot.runtime.repo.requests.recent(10)) == 1  # one request filed
    assert len(bot.replies()) == 1  # and the replay not even refused as a duplicate filing: not handled


def test_the_operations_endpoints_live_apart_and_can_want_a_token(bot):
    public = HttpServer(
        SlackWsgi(bot.runtime.app, bot.runtime, signing_secret=SIGNING_SECRET), "127.0.0.1", 0
    )
    ops = HttpServer(SlackWsgi(None, bot.runtime, ops=True, ops_token="s3cret-token"), "127.0.0.1", 0)
    public.start()
    ops.start()
    try:
        base, ops_base = f"http://127.0.0.1:{public.port}", f"http://127.0.0.1:{ops.port}"
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        assert requests.get(f"{base}/metrics", timeout=5).status_code == 404  # not on the public side
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 404
        assert requests.get(f"{ops_base}/metrics", timeout=5).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert requests.get(f"{ops_base}/readyz", headers=wrong, timeout=5).status_code == 401
        good = {"Authorization": "Bearer s3cret-token"}
        assert "pcc_requests" in requests.get(f"{ops_base}/metrics", headers=good, timeout=5).text
        assert requests.get(f"{ops_base}/readyz", headers=good, timeout=5).json()["ok"] is True
        assert "s3cret" not in repr(ops._server.application)
    finally:
        public.stop()
        ops.stop()


def test_secrets_are_masked_in_every_repr(config):
    credentials = OvhCredentials(
        "ovh-eu", "app-key", "app-SECRET-1", "consumer-SECRET-2", "cid", "client-SECRET-3"
    )
    shown = repr(credentials) + repr(replace(config, ovh=credentials, ops_token="token-SECRET-4"))
    client = make_client(OvhCredentials("ovh-eu", "app-key", "app-SECRET-1", "consumer-SECRET-2"))
    shown += repr(client) + repr(SignedOvhGateway(client))
    assert "SECRET" not in shown and "test-signing-secret" not in repr(config)
