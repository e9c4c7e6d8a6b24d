"""`pcc-bot doctor` and `pcc-bot credentials` against the Slack stand-in and the simulator."""

import io
import json
from dataclasses import replace

import pytest

from bot import doctor, ids
from bot.domain import PccBotError
from tests.conftest import INCIDENT


@pytest.fixture
def healthy(config, slack):
    slack.standin.scopes = tuple(sorted(ids.SLACK_SCOPES))
    slack.standin.users = ("UBOB",)
    slack.standin.channels = (INCIDENT,)
    return replace(config, slack_app_token="xapp-1-test")


def verdicts(config):
    return {check.name: check.verdict for check in doctor.run_checks(config)}


def test_a_complete_setup_is_ready(healthy):
    out = io.StringIO()
    assert doctor.doctor(healthy, out) == 0
    text = out.getvalue()
    assert "Ready to serve." in text
    assert set(verdicts(healthy).values()) == {"ok"}
    for name in (
        "Slack auth.test",
        "Slack scopes",
        "Approver UBOB",
        "Approver group SONCALL",
        f"Incident channel {INCIDENT}",
        "OVHcloud reachable",
        "Clock skew",
        "OVHcloud rights",
        "Database",
    ):
        assert name in text


def test_each_problem_is_named(healthy, slack, simulator):
    slack.standin.scopes = ("commands", "chat:write")
    slack.standin.users = ()
    simulator.sim.allowed_routes = [{"method": "GET", "path": "/dedicatedCloud/*"}]
    config = replace(healthy, approvers=frozenset({"UBOB", "SNOPE"}), incident_channel="CGONE")
    out = io.StringIO()
    assert doctor.doctor(config, out) == 1
    found = verdicts(config)
    assert found["Slack scopes"] == "FAIL" and found["Approver UBOB"] == "FAIL"
    assert found["Approver group SNOPE"] == "FAIL" and found["Incident channel CGONE"] == "FAIL"
    assert found["OVHcloud rights"] == "FAIL"
    text = out.getvalue()
    assert "missing channels:read, chat:write.public, files:write, usergroups:read, users:read" in text
    assert "not allowed: POST /dedicatedCloud/*/datacenter/*/linkFilerFromSbg" in text
    assert "5 problem(s) to fix before serving." in text


def test_missing_configuration_and_bad_secrets(healthy, tmp_path):
    config = replace(
        healthy,
        slack_bot_token=None,
        approvers=frozenset(),
        ovh=replace(healthy.ovh, application_secret="wrong"),
    )
    found = verdicts(config)
    assert found["Slack token"] == "FAIL"
    assert found["OVHcloud credentials"] == "FAIL"
    assert found["Configuration"] == "FAIL"


def test_an_unwritable_database_is_reported(healthy, tmp_path):
    found = verdicts(replace(healthy, db_path=str(tmp_path / "missing-dir" / "x.db")))
    assert found["Database"] == "FAIL"


def test_credentials_requests_exactly_the_routes_the_bot_uses(healthy, simulator):
    out = io.StringIO()
    assert doctor.request_consumer_key(healthy, out) == 0
    (rules,) = simulator.sim.pending_credentials.values()
    assert rules == [
        {"method": "GET", "path": "/dedicatedCloud/*"},
        {"method": "POST", "path": "/dedicatedCloud/*/datacenter/*/linkFilerFromSbg"},
    ]
    text = out.getvalue()
    assert "OVH_CONSUMER_KEY=sim-ck-1" in text and "/auth/?credentialToken=sim-ck-1" in text
    call = simulator.sim.calls_to("POST", "^/auth/credential$")[0]
    assert json.loads(call.body)["accessRules"] == rules


def test_credentials_without_an_application_is_a_clear_error(healthy):
    with pytest.raises(PccBotError, match="set OVH_APPLICATION_KEY"):
        doctor.request_consumer_key(
            replace(healthy, ovh=replace(healthy.ovh, application_key=None)), io.StringIO()
        )
