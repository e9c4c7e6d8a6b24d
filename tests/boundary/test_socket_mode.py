"""Socket Mode for real: a local apps.connections.open hands out a ws://127.0.0.1 URL served here,
which delivers a slash command and a click as envelopes, checks the acks, then drops the socket."""

import json
import threading
import time
from dataclasses import replace

import requests
from websockets.sync.server import ServerConnection, serve

from bot.adapters.slack import ids
from bot.app import build_runtime, socket_mode_handler
from bot.cli import listeners
from tests.helpers import POST_ROUTE

MIGRATE = "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515"


def slash(envelope_id: str, text: str, user: str, response_url: str) -> str:
    payload = {
        "token": "x",
        "team_id": "T0PCC",
        "team_domain": "acme",
        "channel_id": "COPS",
        "channel_name": "ops",
        "user_id": user,
        "user_name": user,
        "command": ids.COMMAND,
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": "1.2",
    }
    return json.dumps(
        {
            "envelope_id": envelope_id,
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": payload,
        }
    )


def click(envelope_id: str, request_id: int, user: str, response_url: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user, "team_id": "T0PCC"},
        "team": {"id": "T0PCC"},
        "channel": {"id": "COPS"},
        "api_app_id": "A1",
        "token": "x",
        "container": {"type": "message", "channel_id": "COPS", "message_ts": "1.1"},
        "response_url": response_url,
        "trigger_id": "1.3",
        "actions": [
            {
                "action_id": ids.APPROVE,
                "block_id": f"decide-{request_id}",
                "value": str(request_id),
                "type": "button",
                "action_ts": "1.4",
            }
        ],
    }
    return json.dumps(
        {
            "envelope_id": envelope_id,
            "type": "interactive",
            "accepts_response_payload": False,
            "payload": payload,
        }
    )


def test_socket_mode_commands_clicks_and_reconnect(config, slack, simulator):
    acks: list[str] = []
    done = threading.Event()
    connections = []

    def ack_of(ws: ServerConnection) -> None:
        acks.append(json.loads(ws.recv(timeout=10))["envelope_id"])

    def session(ws: ServerConnection) -> None:
        connections.append(ws)
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}))
        if len(connections) == 1:
            ws.send(slash("e1", MIGRATE, "UALICE", slack.response_url()))
            ack_of(ws)
            cards = slack.standin.wait_for("chat.postMessage", timeout=10)
            request_id = int(cards[0].args["blocks"][-1]["elements"][0]["value"])
            ws.send(click("e2", request_id, "UBOB", slack.response_url()))
            ack_of(ws)
            slack.standin.wait_for("chat.postMessage", count=2, timeout=10)  # "replication started"
            return  # the server closes this socket: the bot must reconnect
        ws.send(slash("e3", "help", "UALICE", slack.response_url()))
        ack_of(ws)
        done.wait(20)

    with serve(session, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        slack.standin.socket_url = f"ws://127.0.0.1:{port}/link/?ticket=t1"
        runtime = build_runtime(config)
        handler = socket_mode_handler(runtime, "xapp-1-test", ping_interval=0.5)
        front, ops = listeners(runtime, replace(config, ops_bind="127.0.0.1:0"), False, "127.0.0.1", 0)
        runtime.start_background()
        handler.connect()
        try:
            deadline = time.monotonic() + 30
            while "e3" not in acks and time.monotonic() < deadline:
                time.sleep(0.05)
            assert acks == ["e1", "e2", "e3"]
            ready = requests.get(f"http://127.0.0.1:{ops.port}/readyz", timeout=5).json()
            assert ready["slack"] is True and ready["ok"] is True
            assert requests.post(f"http://127.0.0.1:{ops.port}/slack/events", timeout=5).status_code == 404
            public = f"http://127.0.0.1:{front.port}"  # PORT, where the image listens on 0.0.0.0
            assert requests.get(f"{public}/healthz", timeout=5).status_code == 200
            assert requests.get(f"{public}/readyz", timeout=5).status_code == 404
            assert requests.get(f"{public}/metrics", timeout=5).status_code == 404
            runtime.wait_idle(10)
            assert len(slack.standin.calls_to("apps.connections.open")) >= 2
            assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
            assert any(
                "/pcc filers" in str(c.args.get("text")) for c in slack.standin.calls_to("response_url")
            )
        finally:
            done.set()
            handler.close()
            ops.stop()
            front.stop()
            runtime.close()
            server.shutdown()
