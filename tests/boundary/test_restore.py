"""The Veeam batch restore end to end: signed HTTP to the bot, real signed calls to the simulator, the
Slack stand-in; and the console a newcomer types it in."""

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.adapters.slack import ids
from bot.domain import State
from tests.boundary.test_form import submit_view
from tests.boundary.test_process import console_said
from tests.helpers import file_request

RESTORE = r"/datacenter/1515/backup/batchRestore$"
INCIDENT = "CINCIDENT"


def _posted(slack, words: str) -> list[tuple[str, bool]]:
    """(channel, in a thread) of every message holding ``words``."""
    return [
        (c.args["channel"], bool(c.args.get("thread_ts")))
        for c in slack.standin.calls_to("chat.postMessage")
        if words in str(c.args.get("text"))
    ]


def test_repositories_then_a_restore_approved_once_and_followed_to_done(timed_bot, simulator, slack, clock):
    bot = timed_bot
    bot.command("repositories pcc-192-0-2-50")
    bot.settle()
    listed = bot.replies()[-1]
    assert "veeam-rbx-01" in listed and "sync `ok`" in listed and "2021-03-10 01:00 UTC" in listed
    assert "veeam-rbx-02" in listed and "last successful replication never" in listed

    request_id = file_request(bot, "restore pcc-192-0-2-50 1515 veeam-rbx-01")
    card = slack.standin.calls_to("chat.postMessage")[-1].args
    assert "Veeam batch restore request" in card["text"]
    assert '{\\"backupRepositoryName\\": \\"veeam-rbx-01\\"}' in json.dumps(card["blocks"])
    for user in ("UALICE", "UBOB", "UCAROL", "UBOB"):  # the requester, then three approving clicks
        bot.click(ids.APPROVE, str(request_id), user=user)
        bot.settle()
    (post,) = simulator.sim.calls_to("POST", RESTORE)
    assert json.loads(post.body) == {"backupRepositoryName": "veeam-rbx-01"}
    assert any("you filed request" in r for r in bot.replies())

    simulator.sim.advance(3600)
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.DONE
    assert _posted(slack, "powered off") == [("COPS", True), (INCIDENT, False)]
    assert any("BatchRestore" in str(c.args.get("text")) for c in slack.standin.calls_to("chat.postMessage"))
    assert len(simulator.sim.calls) > 5 and _undeclared(simulator.sim.calls) == []


SCHEMA_2024 = Path(__file__).resolve().parents[1] / "schemas" / "dedicatedCloud-2024-06.json"


def _undeclared(calls) -> list[str]:
    """The calls that are not a route of the 2024 schema with the parameters it declares (path, query
    and body), the account-level /auth routes aside."""
    apis = json.loads(SCHEMA_2024.read_text())["apis"]
    routes = [
        (op["httpMethod"], re.compile(re.sub(r"\{[^}]+\}", "[^/]+", api["path"])), op)
        for api in apis
        for op in api["operations"]
    ]
    wrong = []
    for call in calls:
        split = urlsplit(call.path)
        if split.path.startswith("/auth/"):
            continue
        sent = set(parse_qs(split.query)) | set(json.loads(call.body) if call.body else {})
        if not any(
            method == call.method
            and pattern.fullmatch(split.path)
            and sent <= {p["name"] for p in op["parameters"] if p["paramType"] in ("query", "body")}
            for method, pattern, op in routes
        ):
            wrong.append(f"{call.method} {call.path} {call.body}")
    return wrong


def test_a_restore_ovhcloud_cancels_for_lack_of_space_is_reported_failed(timed_bot, simulator, slack, clock):
    bot = timed_bot
    request_id = file_request(bot, "restore pcc-192-0-2-50 1515 veeam-rbx-big")
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    simulator.sim.advance(600)
    clock.advance(minutes=10)
    bot.runtime.service.poll_once()
    failed = bot.runtime.repo.requests.get(request_id)
    assert failed.state == State.FAILED and "not enough free space" in (failed.last_error or "")
    assert _posted(slack, "not enough free space") == [("COPS", True), (INCIDENT, False)]


def test_a_restore_breaking_a_rule_is_refused_up_front_with_the_rule_named(timed_bot, simulator):
    bot = timed_bot
    bot.command("restore pcc-192-0-2-50 1516 veeam-rbx-01")  # backup disabled on 1516
    bot.command("restore pcc-192-0-2-50 1515 veeam-rbx-02")  # never replicated
    bot.settle()
    replies = " ".join(bot.replies())
    assert "backup enabled on the target" in replies and "`disabled`" in replies
    assert "replicated repository" in replies and "never succeeded" in replies
    assert simulator.sim.calls_to("POST", r"batchRestore") == []
    assert bot.runtime.repo.requests.recent(5) == []
    bot.command("repositories pcc-192-0-2-51")  # no Veeam there
    bot.command("repositories pcc-192-0-2-99")
    bot.settle()
    replies = " ".join(bot.replies())  # the commands run side by side: in any order
    assert "No repository" in replies and "PCC pcc-192-0-2-99 not found" in replies


def test_the_console_lists_files_approves_and_follows_a_restore(tmp_path):
    out = console_said(
        [
            "repositories pcc-192-0-2-50",
            "restore pcc-192-0-2-50 1515 veeam-rbx-01",
            "as carol",
            "approve 1",
            "wait 6",
            "status 1",
        ],
        tmp_path,
        speed=20000,
    )
    assert "veeam-rbx-02" in out and "Veeam batch restore request #1" in out
    assert "Batch restore started for request #1" in out
    assert "powered off" in out and "[#incident]" in out
    assert "replication done (replicating → done)" in out


def restore_view(**typed: str) -> dict[str, object]:
    values = {block: {block: {"type": "plain_text_input", "value": v}} for block, v in typed.items()}
    return {
        "id": "V2",
        "type": "modal",
        "callback_id": "pcc_restore_form",
        "private_metadata": "COPS",
        "state": {"values": values},
    }


def test_restore_without_arguments_opens_a_form_that_files_or_names_each_problem(bot, simulator):
    assert bot.command("restore").status_code == 200
    bot.settle()
    (opened,) = bot.slack.standin.calls_to("views.open")
    form = opened.args["view"]
    assert form["callback_id"] == "pcc_restore_form"
    inputs = [(b["block_id"], b["optional"]) for b in form["blocks"] if b["type"] == "input"]
    assert inputs == [("rs_pcc", False), ("rs_dc", False), ("rs_repo", False), ("rs_job", True)]

    refused = submit_view(bot, restore_view(rs_pcc="pcc-192-0-2-50", rs_dc="1516", rs_repo="veeam-rbx-02"))
    errors = refused.json()["errors"]
    assert list(errors) == ["rs_repo"] and "backup enabled on the target" in errors["rs_repo"]
    bad = submit_view(bot, restore_view(rs_pcc="pcc-192-0-2-50", rs_dc="x", rs_job="<!here>")).json()[
        "errors"
    ]
    assert set(bad) == {"rs_dc", "rs_repo", "rs_job"} and "not a number" in bad["rs_dc"]

    filed = submit_view(
        bot, restore_view(rs_pcc="pcc-192-0-2-50", rs_dc="1515", rs_repo="veeam-rbx-01", rs_job="job-a")
    )
    assert filed.status_code == 200 and filed.text == ""  # the modal closes
    bot.settle()
    (request,) = bot.runtime.repo.requests.recent(5)
    assert request.route == "batchRestore" and request.backup_job_name == "job-a"
    assert simulator.sim.calls_to("POST", r"batchRestore") == []  # filed, not called


def test_a_restore_whose_answer_is_lost_is_found_by_reading_and_followed(timed_bot, simulator, slack, clock):
    """OVHcloud ran the batch restore but its answer was lost: the request is in doubt as a restore,
    never sent again; the poller finds the one batchRestore task of its datacenter since the call and
    follows it to the end."""
    bot = timed_bot
    simulator.sim.add_task("pcc-192-0-2-50", 1516, "batchRestore")  # another datacenter: not this one
    request_id = file_request(bot, "restore pcc-192-0-2-50 1515 veeam-rbx-01")
    simulator.sim.inject("POST", RESTORE, 503)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    doubt = bot.runtime.repo.requests.get(request_id)
    assert doubt.state == State.NEEDS_ATTENTION and doubt.in_doubt is not None
    assert doubt.in_doubt.name == "restore"
    assert any("the restore may have started" in str(c.args) for c in slack.standin.calls_to("chat.update"))
    bot.runtime.service.poll_once()
    found = bot.runtime.repo.requests.get(request_id)
    assert found.state == State.REPLICATING, [e.action for e in bot.runtime.repo.audit.history(request_id)]
    (task,) = [t for t in simulator.sim.tasks.values() if t.restores == "veeam-rbx-01"]
    assert found.task_id == task.task_id
    simulator.sim.advance(3600)
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.DONE
    assert len(simulator.sim.calls_to("POST", RESTORE)) == 1
