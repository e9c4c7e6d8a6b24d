"""`pcc-bot doctor` and `pcc-bot credentials` against the Slack stand-in and the simulator."""

import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.adapters.ovh.routes import access_rules
from bot.adapters.slack import ids
from bot.adapters.sql.history import HEAD
from bot.demo.simulator import DEMO_CONSUMER_KEY
from bot.domain import PccBotError, State
from bot.ops import doctor
from tests.fakes import FakeClock
from tests.helpers import INCIDENT, file_request, start_bot, stop_bot


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
    simulator.sim.access_rules[DEMO_CONSUMER_KEY] = [{"method": "GET", "path": "/*"}]
    config = replace(healthy, approvers=frozenset({"UBOB", "SNOPE"}), incident_channel="CGONE")
    out = io.StringIO()
    assert doctor.doctor(config, out) == 1
    found = verdicts(config)
    assert found["Slack scopes"] == "FAIL" and found["Approver UBOB"] == "FAIL"
    assert found["Approver group SNOPE"] == "FAIL" and found["Incident channel CGONE"] == "FAIL"
    assert found["OVHcloud rights"] == "FAIL"
    text = out.getvalue()
    missing = "channels:read, chat:write.public, files:write, im:write, usergroups:read, users:read"
    assert f"missing {missing}" in text
    assert (
        "not allowed: POST /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/linkFilerFromSbg" in text
    )
    assert "5 problem(s) to fix before serving." in text


def test_missing_configuration_and_bad_secrets(healthy, tmp_path):
    config = replace(
        healthy,
        slack_bot_token=None,
        approvers=frozenset(),
        ovh=replace(healthy.ovh, application_secret="wrong"),
    )
    found = verdicts(config)
    assert "Slack token" not in found and "Approvers" not in found  # said once, by Configuration
    assert found["OVHcloud credentials"] == "FAIL"
    assert found["Configuration"] == "FAIL"
    out = io.StringIO()
    doctor.doctor(config, out)
    assert out.getvalue().count("SLACK_BOT_TOKEN") == 1 and out.getvalue().count("PCC_APPROVERS") == 1


def test_an_unwritable_database_is_reported(healthy, tmp_path):
    found = verdicts(replace(healthy, db_path=str(tmp_path / "missing-dir" / "x.db")))
    assert found["Database"] == "FAIL"


def test_credentials_requests_exactly_the_routes_the_bot_uses(healthy, simulator):
    out = io.StringIO()
    assert doctor.request_consumer_key(healthy, out) == 0
    (rules,) = simulator.sim.pending_credentials.values()
    assert rules == [{"method": m, "path": p} for m, p in access_rules("linkFilerFromSbg")]
    assert {"method": "POST", "path": "/dedicatedCloud/*/task/*/resetTaskState"} in rules
    assert {"method": "POST", "path": "/dedicatedCloud/*/datacenter/*/filer/*/remove"} in rules
    assert {"method": "POST", "path": "/dedicatedCloud/*/datacenter/*/backup/batchRestore"} in rules
    assert {"method": "GET", "path": "/dedicatedCloud/*/backupRepository/*"} in rules
    assert not any(r["path"].endswith("/copyFiler") for r in rules)
    text = out.getvalue()
    assert "OVH_CONSUMER_KEY=sim-ck-1" in text and "/auth/?credentialToken=sim-ck-1" in text
    call = simulator.sim.calls_to("POST", "^/auth/credential$")[0]
    assert json.loads(call.body)["accessRules"] == rules


def test_a_key_made_by_credentials_makes_every_call_and_doctor_fails_when_one_is_missing(
    healthy, simulator, slack
):
    doctor.request_consumer_key(healthy, io.StringIO())
    simulator.sim.validate("sim-ck-1")
    config = replace(healthy, ovh=replace(healthy.ovh, consumer_key="sim-ck-1"))
    assert verdicts(config)["OVHcloud rights"] == "ok"
    clock = FakeClock(datetime.now(UTC))
    bot = start_bot(config, slack, clock=clock)
    try:  # the whole lifecycle with that key: approve, fail, retry, finish, remove the copy
        request_id = file_request(bot, "migrate pcc-192-0-2-15 1338 1240 pcc-192-0-2-50 1515")
        bot.click(ids.APPROVE, str(request_id), user="UBOB")
        bot.settle()
        simulator.sim.advance(3 * 3600)
        bot.runtime.service.poll_once()
        bot.click(ids.RETRY, str(request_id), user="UBOB")
        bot.settle()
        bot.runtime.service.poll_once()  # the relaunched task is read again
        simulator.sim.advance(5 * 3600)
        clock.advance(hours=1)
        bot.runtime.service.poll_once()
        assert bot.runtime.repo.requests.get(request_id).state == State.DONE
        bot.click(ids.REMOVE_COPY, str(request_id), user="UBOB")
        bot.settle()
        assert bot.runtime.repo.requests.get(request_id).state == State.REMOVING
        bot.command("repositories pcc-192-0-2-50")  # and the batch restore's calls
        restore_id = file_request(bot, "restore pcc-192-0-2-50 1515 veeam-rbx-01")
        bot.click(ids.APPROVE, str(restore_id), user="UBOB")
        bot.settle()
        assert bot.runtime.repo.requests.get(restore_id).state == State.REPLICATING
        assert [c for c in simulator.sim.calls if c.status == 403] == []
    finally:
        stop_bot(bot)
    simulator.sim.access_rules["sim-ck-1"] = [
        r for r in simulator.sim.access_rules["sim-ck-1"] if not r["path"].endswith("/resetTaskState")
    ]
    out = io.StringIO()
    assert doctor.doctor(config, out) == 1
    assert "not allowed: POST /dedicatedCloud/{serviceName}/task/{taskId}/resetTaskState" in out.getvalue()


def test_credentials_without_an_application_is_a_clear_error(healthy):
    with pytest.raises(PccBotError, match="set OVH_APPLICATION_KEY"):
        doctor.request_consumer_key(
            replace(healthy, ovh=replace(healthy.ovh, application_key=None)), io.StringIO()
        )


def test_doctor_fails_when_no_approval_could_ever_happen_and_names_slack_refusals(healthy, slack):
    from bot.domain import ZonePolicy

    nowhere = replace(healthy, policy=ZonePolicy(allowed_zones=frozenset({"gra1"})))
    out = io.StringIO()
    assert doctor.doctor(nowhere, out) == 1
    assert "nothing could ever be approved" in out.getvalue() and verdicts(nowhere)["Zones"] == "FAIL"
    assert verdicts(healthy)["Zones"] == "ok" and verdicts(healthy)["Slack mode"] == "ok"

    slack.standin.refused_methods["apps.connections.open"] = "invalid_auth"
    out = io.StringIO()
    assert doctor.doctor(healthy, out) == 1
    assert "Slack refused SLACK_APP_TOKEN: invalid_auth" in out.getvalue()
    neither = replace(healthy, slack_app_token=None, slack_signing_secret=None)
    out = io.StringIO()
    doctor.doctor(neither, out)
    assert "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode" in out.getvalue()
    assert "with --http" not in out.getvalue()


def test_doctor_names_the_postgresql_server_and_the_revision_without_migrating(healthy, postgres):
    from bot.adapters.sql.repository import SqlRepository

    url = postgres.fresh(migrated=False)
    found = {c.name: c for c in doctor.run_checks(replace(healthy, database_url=url))}
    database = found["Database"]
    assert database.verdict == "ok", database.detail
    assert "PostgreSQL 18" in database.detail and "replicas may share it" in database.detail
    assert "revision none: `pcc-bot serve` upgrades it" in database.detail  # a check does not write
    SqlRepository(url).close()  # what serve does at start
    database = {c.name: c for c in doctor.run_checks(replace(healthy, database_url=url))}["Database"]
    assert f"schema at revision {HEAD}" in database.detail and "upgrades" not in database.detail


def test_doctor_neither_creates_nor_migrates_a_sqlite_database(healthy, tmp_path):
    path = tmp_path / "new.db"
    out = io.StringIO()
    assert doctor.doctor(replace(healthy, db_path=str(path)), out) == 0
    assert f"{path} does not exist yet: `pcc-bot serve` creates it" in out.getvalue()
    assert list(tmp_path.iterdir()) == []


def test_doctor_reads_the_api_description_and_says_which_routes_are_absent(healthy, simulator):
    out = io.StringIO()
    assert doctor.doctor(healthy, out) == 0
    linked = "present: POST /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/linkFilerFromSbg"
    assert linked in out.getvalue()
    assert "(IAM: pccVMware:apiovh:datacenter/filer/remove)" in out.getvalue()
    simulator.sim.describes_copy_routes = False
    out = io.StringIO()
    assert doctor.doctor(healthy, out) == 1
    absent = [line.split() for line in out.getvalue().splitlines() if "absent" in line]
    assert absent == [
        [
            "Route",
            "FAIL",
            "absent:",
            "POST",
            "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/linkFilerFromSbg",
            "(OVHcloud's",
            "API",
            "description",
            "no",
            "longer",
            "lists",
            "it)",
        ]
    ]
    copy_filer = replace(healthy, migration_api="copyFiler")
    found = [c for c in doctor.run_checks(copy_filer) if c.verdict == "FAIL"]
    assert [c.detail.split(" (")[0] for c in found] == [
        "absent: GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/copyFilerStatus",
        "absent: POST /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/copyFiler",
    ]


def test_an_unreadable_api_description_is_said_once(healthy, simulator):
    simulator.sim.inject("GET", r"^/dedicatedCloud\.json$", 503)
    checks = doctor.run_checks(healthy)
    (unread,) = [c for c in checks if c.name == "API description"]
    assert unread.verdict == "warn" and "could not read" in unread.detail and "answered 503" in unread.detail
    assert not [c for c in checks if c.name == "Route"]


def test_the_credentials_flow_completes_against_the_simulator(healthy, simulator):
    import re

    import requests

    out = io.StringIO()
    doctor.request_consumer_key(healthy, out)
    url = re.search(r"Open (\S+) and log in", out.getvalue()).group(1)
    assert requests.get(url, timeout=5).status_code == 200  # the account owner's validation
    assert requests.get(url, timeout=5).status_code == 403  # once only
    config = replace(healthy, ovh=replace(healthy.ovh, consumer_key="sim-ck-1"))
    assert verdicts(config)["OVHcloud rights"] == "ok"
