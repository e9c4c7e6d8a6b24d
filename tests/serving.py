"""`pcc-bot serve --http` as real processes, spoken to as Slack would: signed slash commands and
button clicks; each process in a folder of its own (its own disk)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

from tests.conftest import CHANNEL, free_port, process_env, serve_http, signed_headers


class Serving:
    def __init__(self, folder: Path, simulator, slack, **extra: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.ops_port = free_port()
        self.env = process_env(
            simulator,
            slack,
            str(folder / "bot.db"),
            SLACK_BOT_TOKEN="xoxb-test-token",
            SLACK_SIGNING_SECRET="shh",
            PCC_APPROVERS="UBOB,UCAROL",
            PCC_POLL_SECONDS="1",
            PCC_OPS_BIND=f"127.0.0.1:{self.ops_port}",
            **extra,
        )
        self.cwd, self.slack = folder, slack
        self.proc = self.start()

    def start(self) -> subprocess.Popen[str]:
        return serve_http(self.env, self.cwd, self.port)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def post(self, fields: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, str]:
        """Sign and send; returns the headers sent (to send the very same request again)."""
        body = urlencode(fields)
        headers = headers or signed_headers(body, secret="shh")
        url = f"http://127.0.0.1:{self.port}/slack/events"
        assert requests.post(url, data=body, headers=headers, timeout=10).ok
        return headers

    def command(self, text: str, user: str = "UALICE") -> str:
        """Run ``/pcc text``; returns the response_url its answer goes to."""
        response_url: str = self.slack.response_url()
        self.post(
            {
                "command": "/pcc",
                "text": text,
                "user_id": user,
                "channel_id": CHANNEL,
                "team_id": "T0PCC",
                "response_url": response_url,
                "trigger_id": "1.2.x",
            }
        )
        return response_url

    def click(self, action_id: str, value: str, user: str) -> None:
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": "T0PCC"},
            "api_app_id": "A1",
            "channel": {"id": CHANNEL},
            "response_url": self.slack.response_url(),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time()}",
                }
            ],
        }
        self.post({"payload": json.dumps(payload)})

    def metrics(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.ops_port}/metrics", timeout=5).text

    def leads(self) -> bool:
        return any(
            line.startswith("pcc_leader{") and line.endswith(" 1") for line in self.metrics().splitlines()
        )
