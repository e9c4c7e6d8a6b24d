"""Requests over HTTP: filing, approvals, completion, the incident board, the audit, the App Home."""

import json
import threading
import time

from bot.adapters.slack import ids
from bot.domain import State
from tests.helpers import CHANNEL, INCIDENT, POST_ROUTE, file_request, signed_headers


def test_a_valid_request_is_posted_as_a_card(bot):
    request_id = file_request(bot)
    (card,) = bot.slack.standin.calls_to("chat.postMessage")
    assert card.args["channel"] == CHANNEL
    text = json.dumps(card.args["blocks"])
    for fact in (
        "<@UALICE>",
        "pcc-192-0-2-15",
        "1337",
        "sbg1a",
        "ssd-001234",
        "3 TB",
        "12 VM(s)",
        "pcc-192-0-2-50",
        "1515",
        "rbx2a",
        "POST /dedicatedCloud/pcc-192-0-2-50/datacenter/1515/linkFilerFromSbg",
    ):
        assert fact in text
    approve, reject = card.args["blocks"][-1]["elements"]
    assert (approve["action_id"], approve["value"]) == (ids.APPROVE, str(request_id))
    assert "confirm" in approve and reject["action_id"] == ids.REJECT


def test_self_approval_and_non_approvers_are_refused(bot, simulator):
    request_id = file_request(bot, user="UBOB")
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.click(ids.APPROVE, str(request_id), user="UMALLORY")
    bot.settle()
    replies = bot.replies()
    assert any("yourself" in r for r in replies)
    assert any("only the approvers listed in PCC_APPROVERS" in r for r in replies)
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []


def test_a_user_group_member_approves_and_the_card_shows_it(bot, simulator):
    request_id = file_request(bot)
    response = bot.click(ids.APPROVE, str(request_id), user="UCAROL")
    assert response.status_code == 200
    bot.settle()
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
    assert bot.slack.standin.calls_to("usergroups.users.list")[0].args["usergroup"] == "SONCALL"
    last_update = bot.slack.standin.calls_to("chat.update")[-1]
    text = json.dumps(last_update.args["blocks"])
    assert "approved by <@UCAROL>" in text and "OVHcloud task 90001" in text
    assert "pcc_approve" not in text  # buttons gone


def test_someone_removed_from_the_approver_group_no_longer_decides(bot, simulator, slack):
    first = file_request(bot)
    second = file_request(bot, "migrate pcc-192-0-2-15 1337 1235 pcc-192-0-2-50 1515")
    bot.click(ids.APPROVE, str(first), user="UCAROL")
    bot.settle()
    slack.standin.usergroups["SONCALL"] = []  # Carol leaves the on-call group
    bot.click(ids.APPROVE, str(second), user="UCAROL")
    bot.settle()
    assert bot.runtime.repo.requests.get(second).state == State.PENDING
    assert "only the approvers listed" in bot.replies()[-1]
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1


def test_concurrent_double_approval_gives_one_post(bot, simulator):
    request_id = file_request(bot)
    clicks = [
        threading.Thread(target=bot.click, args=(ids.APPROVE, str(request_id), user))
        for user in ["UBOB", "UCAROL", "UBOB", "UCAROL", "UBOB", "UCAROL"]
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    bot.settle()
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
    assert sum("was already approved by" in r for r in bot.replies()) == 5


def test_reject_then_approve_gives_no_post(bot, simulator):
    request_id = file_request(bot)
    bot.click(ids.REJECT, str(request_id), user="UBOB")
    bot.settle()
    bot.click(ids.APPROVE, str(request_id), user="UCAROL")
    bot.settle()
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []
    assert "was already rejected by <@UBOB>" in bot.replies()[-1]
    assert "rejected by <@UBOB>" in json.dumps(bot.slack.standin.calls_to("chat.update")[-1].args["blocks"])


def test_list_status_and_cancel(bot):
    request_id = file_request(bot)
    bot.command(f"status {request_id}")
    bot.command("list")
    bot.command(f"cancel {request_id}", user="UALICE")
    bot.settle()
    replies = bot.replies()
    assert any("requested" in r or f"#{request_id}" in r for r in replies)
    assert any(f"Request #{request_id} is now cancelled" in r for r in replies)
    assert bot.runtime.repo.requests.get(request_id).state == "cancelled"


def test_completion_is_announced_in_thread_and_incident_room(bot, simulator):
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    simulator.sim.advance(5 * 3600)
    bot.runtime.service.poll_once()
    card = bot.slack.standin.calls_to("chat.postMessage")[0]
    card_ts = card.args.get("ts") or bot.runtime.repo.requests.get(request_id).card_ts
    thread = bot.slack.standin.calls_to("chat.postMessage")
    done = [c for c in thread if "restore-001234" in str(c.args.get("text"))]
    assert [(c.args["channel"], c.args.get("thread_ts")) for c in done] == [
        (CHANNEL, card_ts),
        (INCIDENT, None),
    ]


def test_the_incident_board_is_posted_once_then_edited(config, slack, simulator):
    from datetime import UTC, datetime

    from tests.fakes import FakeClock
    from tests.helpers import start_bot, stop_bot

    clock = FakeClock(datetime.now(UTC))
    bot = start_bot(config, slack, clock=clock)

    def board_calls(method):
        return [
            c
            for c in slack.standin.calls_to(method)
            if c.args["channel"] == INCIDENT and "Datastore copies:" in str(c.args.get("text"))
        ]

    try:
        request_id = file_request(bot)
        bot.runtime.service.poll_once()
        assert board_calls("chat.postMessage") == []  # nothing in flight, nothing ended: no board yet
        bot.click(ids.APPROVE, str(request_id), user="UBOB")
        bot.settle()
        bot.runtime.service.poll_once()
        (posted,) = board_calls("chat.postMessage")
        assert posted.args["text"] == "Datastore copies: 1 active, 0 done, 0 failed"
        assert "ssd-001234" in json.dumps(posted.args["blocks"])
        bot.runtime.service.poll_once()  # nothing changed: no edit
        assert board_calls("chat.update") == []
        simulator.sim.advance(5 * 3600)
        clock.advance(hours=1)  # the task's next poll is due
        bot.runtime.service.poll_once()
        (edited,) = board_calls("chat.update")
        assert edited.args["ts"] == bot.runtime.repo.boards.get(INCIDENT)[0]
        assert edited.args["text"] == "Datastore copies: 0 active, 1 done, 0 failed"
        assert len(board_calls("chat.postMessage")) == 1
    finally:
        stop_bot(bot)


def test_audit_uploads_a_csv_of_every_request_and_decision(bot, simulator):
    import csv
    import io

    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    bot.command("audit 7")  # the requester is no approver: refused, nothing uploaded
    bot.settle()
    assert "only the approvers" in bot.replies()[-1] and not bot.slack.standin.calls_to("file_upload")
    bot.command("audit 7", user="UBOB")
    bot.settle()
    (upload,) = bot.slack.standin.calls_to("file_upload")
    rows = list(csv.DictReader(io.StringIO(upload.args["content"])))
    assert [r["action"] for r in rows] == ["requested", "approved", "migration started"]
    approved = rows[1]
    assert approved["actor"] == "UBOB" and approved["to_state"] == "approved"
    assert rows[2]["api_call"].startswith(
        "POST /dedicatedCloud/pcc-192-0-2-50/datacenter/1515/linkFilerFromSbg"
    )
    assert rows[2]["task_id"] == "90001" and rows[2]["outcome"] == "replicating"
    (complete,) = bot.slack.standin.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DBOB" and "3 line(s)" in complete.args["initial_comment"]
    (opened,) = bot.slack.standin.calls_to("conversations.open")
    assert opened.args["users"] == "UBOB"  # the asker's direct messages, not the channel
    assert "sent to you in a direct message" in bot.replies()[-1]


def test_app_home_shows_what_waits_for_me_and_what_runs(bot, simulator):
    first = file_request(bot)
    bot.click(ids.APPROVE, str(first), user="UBOB")
    bot.settle()
    second = file_request(bot, "migrate pcc-192-0-2-15 1337 1235 pcc-192-0-2-50 1515")
    event = {
        "type": "event_callback",
        "team_id": "T0PCC",
        "api_app_id": "A1",
        "event_id": "Ev1",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": "UCAROL", "tab": "home", "channel": "D1"},
    }
    body = json.dumps(event)
    headers = {**signed_headers(body), "Content-Type": "application/json"}
    assert bot.post(body, headers=headers).status_code == 200
    (published,) = bot.slack.standin.wait_for("views.publish")
    assert published.args["user_id"] == "UCAROL"
    sections = [b["text"]["text"] for b in published.args["view"]["blocks"] if b["type"] == "section"]
    waiting, active, mine = sections
    assert f"#{second} " in waiting and f"#{first} " not in waiting
    assert f"#{first} " in active and "replicating" in active
    assert "You have filed no request" in mine


def test_odd_task_bodies_neither_abort_the_poll_nor_hide_a_failure(bot, simulator):
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    task_id = bot.runtime.repo.requests.get(request_id).task_id
    odd = [
        {"name": "maintenance", "state": "done"},  # no taskId
        {
            "taskId": task_id,
            "name": "linkFilerFromSbg",
            "state": "error",
            "progress": 40,
            "description": {"code": 42, "message": "source filer unreachable"},  # not a string
            "filerId": 1234,
            "datacenterId": 1515,
        },
    ]
    simulator.sim.inject("GET", r"/dedicatedCloud/pcc-192-0-2-50/task$", 200, body=odd)
    bot.runtime.service.poll_once()
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.FAILED
    assert "source filer unreachable" in (request.last_error or "")


def test_every_message_is_posted_as_written(bot, simulator):
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    sent = [*bot.slack.standin.calls_to("chat.postMessage"), *bot.slack.standin.calls_to("chat.update")]
    assert len(sent) >= 3
    assert all(c.args.get("parse") == "none" and not c.args.get("link_names") for c in sent), sent[0].args
