"""Log lines: one JSON object per event, tagged with the Slack user and request id, and no secrets."""

import io
import json
import logging
from urllib.parse import urlencode

import pytest

from bot.adapters.slack import ids
from bot.support import logs
from tests.helpers import SIGNING_SECRET, file_request, signed_headers


@pytest.fixture
def captured():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    logs.setup("DEBUG", "json", stream=stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def test_json_lines_carry_user_and_request_and_no_secret(bot, simulator, captured):
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UMALLORY")  # refused
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    simulator.sim.advance(5 * 3600)
    bot.runtime.service.poll_once()
    forged = urlencode(
        {
            "command": "/pcc",
            "text": "list",
            "user_id": "UEVE",
            "channel_id": "COPS",
            "response_url": bot.slack.response_url(),
        }
    )
    headers = signed_headers(forged)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    assert bot.post(forged, headers=headers).status_code == 401

    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    text = captured.getvalue()
    assert lines
    approved = [entry for entry in lines if "approved by UBOB" in entry["message"]]
    assert approved and approved[0]["user"] == "UBOB" and approved[0]["request_id"] == request_id
    refused = [entry for entry in lines if "only the approvers" in entry["message"]]
    assert refused and refused[0]["user"] == "UMALLORY"
    done = [entry for entry in lines if "replication done" in entry["message"]]
    assert done and done[0]["request_id"] == request_id
    for secret in ("xoxb-test-token", SIGNING_SECRET, "/response/", "demo-application-secret", "v0=000"):
        assert secret not in text


def test_text_lines_are_masked():
    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "token xoxb-123-abc url https://hooks.slack.com/a/b", None, None
    )
    line = logs.TextFormatter().format(record)
    assert "xoxb-123" not in line and "hooks.slack.com" not in line and line.count("[redacted]") == 2
