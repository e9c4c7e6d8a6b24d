"""The approval policy at the process boundary: a malformed PCC_POLICY stops every subcommand at start,
one line per problem, exit 2, never a traceback; over signed HTTP, a quorum, a reason's modal and the
requester's direct message."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from urllib.parse import urlencode

import pytest

from bot.adapters.slack import ids
from bot.demo.simulator.server import SimulatorServer
from bot.demo.simulator.state import Call
from bot.domain.policy import Policy, Reason, Rule
from tests.helpers import file_request, start_bot, stop_bot

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OVH_", "PCC_", "PORT", "LOG_"))}

BROKEN = """
[[rule]]
name = "health data"
match = { certification = ["hds", "iso27001"] }
approvals = "two"
approvers = ["bob", "S0SECURITY"]
reason = { approve = "please" }
"""


@pytest.mark.parametrize("command", [("doctor",), ("serve", "--http")])
def test_a_malformed_policy_is_refused_at_start_one_line_per_problem(tmp_path, command):
    (tmp_path / "policy.toml").write_text(BROKEN)
    env = {**CLEAN, "PCC_POLICY": str(tmp_path / "policy.toml")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr + done.stdout, done.stderr
    about = [line for line in done.stderr.splitlines() if "PCC_POLICY" in line]
    assert len(about) == 4, done.stderr
    for fragment in ("iso27001", "approvals", "'bob'", "please"):
        assert sum(fragment in line for line in about) == 1, fragment


def test_an_unparsable_policy_is_one_line(tmp_path):
    (tmp_path / "policy.toml").write_text("[[rule]\napprovals = 2\n")
    env = {**CLEAN, "PCC_POLICY": str(tmp_path / "policy.toml")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (about,) = [line for line in done.stderr.splitlines() if "PCC_POLICY" in line]
    assert "not valid TOML" in about


# ------------------------------------------------------------ over signed HTTP, against the simulator

POLICY = Policy(
    (
        Rule(
            name="two with security",
            approvals=2,
            approvers=frozenset({"UBOB", "UDAVE", "SSECURITY"}),
            at_least_one_of=frozenset({"SSECURITY"}),
            reject_reason=Reason.REQUIRED,
        ),
    )
)


@pytest.fixture
def policy_bot(config, slack):
    slack.standin.usergroups["SSECURITY"] = ["USEC"]
    running = start_bot(replace(config, approval_policy=POLICY), slack)
    yield running
    stop_bot(running)


def posts(simulator: SimulatorServer) -> list[Call]:
    return simulator.sim.calls_to("POST", r"/(linkFilerFromSbg|copyFiler)$")


def test_the_last_needed_approval_sends_one_post_and_the_card_says_who_is_needed(policy_bot, simulator):
    request_id = file_request(policy_bot)
    policy_bot.click(ids.APPROVE, str(request_id), "UBOB")
    policy_bot.settle()
    assert posts(simulator) == []
    card = json.dumps(policy_bot.slack.standin.calls_to("chat.update")[-1].args, ensure_ascii=False)
    assert "1 of 2 approval(s): <@UBOB> · waiting for one from <!subteam^SSECURITY>" in card
    for user in ("UBOB", "UALICE", "UMALLORY"):  # again; the requester; an outsider
        policy_bot.click(ids.APPROVE, str(request_id), user)
        policy_bot.settle()
    replies = policy_bot.replies()
    assert any("already approved" in r for r in replies) and any("yourself" in r for r in replies)
    assert any("under the rule 'two with security'" in r for r in replies)
    assert posts(simulator) == []
    for _ in range(3):  # the security member's click, repeated
        policy_bot.click(ids.APPROVE, str(request_id), "USEC")
    policy_bot.settle()
    assert len(posts(simulator)) == 1


def test_a_reject_asks_its_reason_in_a_modal_and_the_requester_gets_it(policy_bot):
    request_id = file_request(policy_bot)
    policy_bot.click(ids.REJECT, str(request_id), "UDAVE")
    policy_bot.settle()
    (opened,) = policy_bot.slack.standin.calls_to("views.open")
    view = opened.args["view"]
    if isinstance(view, str):
        view = json.loads(view)
    view["state"] = {"values": {ids.REASON_INPUT: {ids.REASON_INPUT: {"value": "wrong destination"}}}}
    payload = {
        "type": "view_submission",
        "user": {"id": "UDAVE"},
        "team": {"id": "T0PCC"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "t",
        "view": {"id": "V1", **view},
    }
    assert policy_bot.post(urlencode({"payload": json.dumps(payload)})).status_code == 200
    policy_bot.settle()
    dms = [
        c.args["text"]
        for c in policy_bot.slack.standin.calls_to("chat.postMessage")
        if c.args["channel"] == "UALICE"
    ]
    assert len(dms) == 1 and "was rejected by <@UDAVE>" in dms[0] and "wrong destination" in dms[0]
    card = json.dumps(policy_bot.slack.standin.calls_to("chat.update")[-1].args, ensure_ascii=False)
    assert "rejected" in card and "reason: wrong destination" in card
