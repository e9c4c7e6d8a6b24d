"""The bot over HTTP: signed slash commands and clicks in, fake Slack Web API and simulator out."""

import json
import platform
import time
from dataclasses import replace
from urllib.parse import urlencode

import pytest

from bot.adapters.slack import ids
from bot.support.version import version
from tests import scrape
from tests.helpers import CHANNEL, MIGRATE, file_request, signed_headers, start_bot, stop_bot


def test_health_readiness_and_metrics(bot, simulator):
    import requests

    assert requests.get(f"{bot.url}/healthz", timeout=5).json() == {"ok": True, "started": True}
    ready = requests.get(f"{bot.url}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json() == {
        "ok": True,
        "started": True,
        "slack": True,
        "database": True,
        "poller": True,
        "warnings": [],
    }
    assert requests.get(f"{bot.url}/nowhere", timeout=5).status_code == 404

    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    simulator.sim.inject("GET", r"/task$", 503, times=3)  # the poller's one read of the PCC's tasks
    bot.runtime.poller._poll()  # one cycle, as the scheduler runs it
    metrics = requests.get(f"{bot.url}/metrics", timeout=5)
    assert metrics.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = metrics.text  # read with prometheus_client's own parser, as a Prometheus server would
    assert scrape.value(text, "pcc_requests", state="replicating") == 1
    assert scrape.value(text, "pcc_requests", state="pending") == 0
    assert scrape.value(text, "pcc_approvals_total") == 1
    assert scrape.value(text, "pcc_notice_backlog") == 0
    assert scrape.value(text, "pcc_poll_cycles_total") == 1
    post = "/dedicatedCloud/{sn}/datacenter/{id}/linkFilerFromSbg"
    assert scrape.value(text, "pcc_ovh_calls_total", method="POST", route=post) == 1
    assert scrape.value(text, "pcc_ovh_call_seconds_count", method="POST", route=post) == 1
    task = "/dedicatedCloud/{sn}/task"
    assert scrape.value(text, "pcc_ovh_errors_total", method="GET", route=task, status="503") == 3
    assert scrape.value(text, "pcc_slack_ack_seconds_count") == 2  # the command and the click
    assert (
        scrape.value(
            text,
            "pcc_build_info",
            version=version(),
            python=platform.python_version(),
            replica=bot.runtime.service.replica,
        )
        == 1
    )
    assert scrape.value(text, "process_cpu_seconds_total") is not None  # the client's own collectors
    assert scrape.value(text, "python_info", **_python_labels()) == 1


def _python_labels() -> dict[str, str]:
    major, minor, patch = platform.python_version_tuple()
    return {
        "implementation": platform.python_implementation(),
        "major": major,
        "minor": minor,
        "patchlevel": patch,
        "version": platform.python_version(),
    }


def test_readyz_fails_when_the_database_is_gone(bot):
    import requests

    bot.runtime.repo.close()
    ready = requests.get(f"{bot.url}/readyz", timeout=5)
    assert ready.status_code == 503 and ready.json()["database"] is False


def test_help_lists_every_subcommand(bot):
    assert bot.command("help").status_code == 200
    bot.settle()
    (reply,) = bot.replies()
    for sub in ("filers", "migrate", "list", "status", "cancel", "audit", "help"):
        assert f"/pcc {sub}" in reply


def test_filers_are_listed_from_the_api(bot, simulator):
    response = bot.command("filers pcc-192-0-2-15")
    assert response.status_code == 200 and response.text == ""  # acked at once, answer follows
    bot.settle()
    (reply,) = bot.slack.standin.calls_to("response_url")
    text = json.dumps(reply.args["blocks"])
    for name in ("ssd-001234", "ssd-001235", "nfs-001236", "ssd-001240", "ssd-001241"):
        assert name in text
    assert "sbg1a" in text and "12 VM(s)" in text and "3 TB" in text
    # every call was signed and accepted by the simulator
    assert simulator.sim.calls and all(c.status == 200 for c in simulator.sim.calls)


def test_unknown_pcc_is_named(bot):
    bot.command("filers pcc-nope")
    bot.settle()
    assert "PCC pcc-nope not found" in bot.replies()[0]
    assert "OVH query id EU.ext-sim." in bot.replies()[0]


def test_command_text_containing_payload_reaches_the_handler(bot):
    response = bot.command("filers payload-pcc")
    assert response.status_code == 200
    bot.settle()
    assert "PCC payload-pcc not found" in bot.replies()[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-17 1500", "destination pcc-192-0-2-17 is in sbg1a"),
        (
            "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-51 1520",
            "source pcc-192-0-2-15 has HDS enabled, destination pcc-192-0-2-51 does not",
        ),
        (
            "migrate pcc-192-0-2-16 1400 1401 pcc-192-0-2-70 1700",
            "source pcc-192-0-2-16 has PCI-DSS enabled, destination pcc-192-0-2-70 does not",
        ),
        ("migrate pcc-192-0-2-50 1515 5001 pcc-192-0-2-51 1520", "sources must be in sbg1a"),
        ("migrate pcc-192-0-2-15 1337 9999 pcc-192-0-2-50 1515", "filer 9999 not found in datacenter 1337"),
        ("migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 4242", "datacenter 4242 not found"),
        ("migrate pcc-192-0-2-15 1337", "`migrate` takes 5 (or none, to open a form) argument(s)"),
        ("migrate pcc-192-0-2-15 x 1234 pcc-192-0-2-50 1515", "sourceDatacenterId 'x' is not a number"),
    ],
)
def test_each_rule_is_refused_with_its_values(bot, text, expected):
    bot.command(text)
    bot.settle()
    assert expected in bot.replies()[0]
    assert bot.slack.standin.calls_to("chat.postMessage") == []
    assert bot.runtime.repo.requests.recent(5) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "v0=deadbeef"},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 600)},
        {"X-Slack-Signature": None, "X-Slack-Request-Timestamp": None},
    ],
)
def test_bad_signatures_get_401_and_change_nothing(bot, simulator, headers):
    body = urlencode(
        {
            "command": "/pcc",
            "text": MIGRATE,
            "user_id": "UALICE",
            "channel_id": CHANNEL,
            "team_id": "T0PCC",
            "response_url": bot.slack.response_url(),
        }
    )
    sent = signed_headers(body, timestamp=int(headers.get("X-Slack-Request-Timestamp") or time.time()))
    for name, value in headers.items():
        if value is None:
            sent.pop(name)
        elif name == "X-Slack-Signature":
            sent[name] = value
    response = bot.post(body, headers=sent)
    assert response.status_code == 401
    bot.settle()
    assert bot.runtime.repo.requests.recent(5) == []
    assert simulator.sim.calls == []


def test_malformed_payload_is_a_clean_400(bot):
    body = "payload=%7Bnot-json"
    assert bot.post(body).status_code == 400
    assert bot.command("filers pcc-192-0-2-15 1337").status_code == 200  # still up


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate now", "unknown subcommand 'frobnicate'"),
        ("status 1; DROP TABLE requests", "`status` takes 1 argument(s), got 4"),
        ("filers <script>alert(1)</script>", "is not a PCC service name"),
        ("migrate ../../etc 1 2 pcc-192-0-2-50 1515", "is not a PCC service name"),
        ("status \u202e\u0000\U0001f525" * 3, "requestId"),
        ("x" * 2000, "the limit is 500"),
        ("cancel 99999999999999999999999", "is too long for an id (at most 18 digits)"),
        ("filers PCC-192-0-2-15 nope", "is not `page &lt;n&gt;` or `csv`"),
    ],
)
def test_bad_input_gets_a_usage_answer_and_stores_nothing(bot, simulator, text, expected):
    response = bot.command(text)
    assert response.status_code == 200
    bot.settle()
    assert expected in bot.replies()[0]
    assert bot.runtime.repo.requests.recent(5) == []
    assert simulator.sim.calls_to("POST", ".") == []
    assert bot.command("list").status_code == 200  # still serving


def test_an_unknown_pcc_or_datacenter_is_named_as_such(bot):
    bot.command("filers pcc-nope 1337")
    bot.command("filers pcc-192-0-2-15 999")
    bot.settle()
    replies = bot.replies()
    assert any("PCC pcc-nope not found" in r for r in replies)
    assert any("datacenter 999 not found in PCC pcc-192-0-2-15" in r for r in replies)


def test_calls_refused_for_want_of_budget_are_exported(config, slack, simulator):
    import requests

    bot = start_bot(replace(config, ovh_rate=3), slack, read_wait_seconds=0)
    try:
        for n in range(3):
            bot.command(f"filers pcc-192-0-2-{15 + n}")
        bot.settle()
        lines = requests.get(f"{bot.url}/metrics", timeout=5).text.splitlines()
    finally:
        stop_bot(bot)
    assert "# TYPE pcc_ovh_throttled_total counter" in lines
    throttled = [line for line in lines if line.startswith("pcc_ovh_throttled_total{")]
    assert throttled and all(float(line.rsplit(" ", 1)[1]) >= 1 for line in throttled)
