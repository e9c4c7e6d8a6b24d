"""A plan is as guarded as one request, over HTTP against the simulator (issue 24): every change of a
plan in the audit trail, a datastore copied meanwhile not copied twice, a single filing that refuses a
datastore of a live plan, copyFiler's conditions quoted and their acceptance recorded, PCC_READERS over
the form and `/pcc plan`, and a plan withdrawn by its requester or when Slack refuses its card."""

import csv
import io
import json
import re

from bot.adapters.slack import ids
from bot.demo.simulator import large_pcc
from bot.domain import COPY_FILER_CONSENT, PlanState, State, StorageError
from tests.boundary.test_form import suggest
from tests.fakes import fail_once
from tests.helpers import CHANNEL, INCIDENT, POST_ROUTE

BIG = "pcc-192-0-2-99"
PLAN = f"plan {BIG} 2001 pcc-192-0-2-50 1515"


def file_plan(bot, simulator, *filers: int, user: str = "UALICE"):
    simulator.sim.inventory.setdefault(BIG, large_pcc(6))
    bot.command(" ".join([PLAN, *map(str, filers)]), user=user)
    bot.settle()
    return max(p.id for p in bot.runtime.repo.plans.recent(10))


def posted_filers(simulator) -> list[int]:
    return [json.loads(c.body)["filerId"] for c in simulator.sim.calls_to("POST", POST_ROUTE)]


def audit_rows(bot) -> list[dict[str, str]]:
    bot.command("audit 7", user="UBOB")
    bot.settle()
    upload = bot.slack.standin.calls_to("file_upload")[-1]
    return list(csv.DictReader(io.StringIO(upload.args["content"].lstrip("\ufeff"))))


def plan_cards(bot):
    posted = bot.slack.standin.calls_to("chat.postMessage")
    return [c.args for c in posted if "Plan #" in str(c.args["text"])]


def test_every_change_of_a_plan_is_in_the_audit_trail(timed_bot, simulator, clock):
    bot = timed_bot
    ended = file_plan(bot, simulator, 20000)
    rejected = file_plan(bot, simulator, 20001)
    withdrawn = file_plan(bot, simulator, 20002)
    bot.click(ids.APPROVE_PLAN, str(ended), user="UBOB")
    bot.click(ids.REJECT_PLAN, str(rejected), user="UCAROL")
    bot.command(f"cancel plan {withdrawn}", user="UMALLORY")  # neither its requester nor an approver
    bot.command(f"cancel plan {withdrawn}")
    bot.settle()
    assert "only the requester or an approver can withdraw plan" in bot.replies()[-2]
    assert f"Plan #{withdrawn} is withdrawn" in bot.replies()[-1]
    expired = file_plan(bot, simulator, 20002)  # its datastore is free again
    simulator.sim.advance(6 * 3600)
    clock.advance(days=2)
    bot.runtime.service.poll_once()
    bot.runtime.service.poll_once()
    repo = bot.runtime.repo
    assert [repo.plans.get(p).state for p in (ended, rejected, withdrawn, expired)] == [
        PlanState.ENDED,
        PlanState.REJECTED,
        PlanState.CANCELLED,
        PlanState.EXPIRED,
    ]
    lines = {
        (r["plan_id"], r["action"], r["from_state"], r["to_state"], r["actor"])
        for r in audit_rows(bot)
        if not r["request_id"]
    }
    assert lines >= {
        (str(ended), "plan filed", "", "pending", "UALICE"),
        (str(ended), "plan approved", "pending", "approved", "UBOB"),
        (str(ended), "plan ended", "approved", "ended", "pcc-bot"),
        (str(rejected), "plan rejected", "pending", "rejected", "UCAROL"),
        (str(withdrawn), "plan withdrawn", "pending", "cancelled", "UALICE"),
        (str(expired), "plan expired", "pending", "expired", "pcc-bot"),
    }


def test_cancel_the_rest_is_an_audit_line_of_the_plan(bot, simulator):
    plan_id = file_plan(bot, simulator, 20000, 20001)
    bot.runtime.service.plans.dispatch_later = lambda plan_id: None  # the dispatch has not begun yet
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    bot.settle()
    bot.click(ids.CANCEL_PLAN_REST, str(plan_id), user="UCAROL")
    bot.settle()
    rows = [r for r in audit_rows(bot) if r["plan_id"] == str(plan_id)]
    (rest,) = [r for r in rows if r["action"] == "plan: the rest cancelled"]
    assert rest["actor"] == "UCAROL" and rest["detail"] == "2 datastore(s)" and not rest["request_id"]
    assert posted_filers(simulator) == []


def test_a_datastore_copied_after_the_filing_is_left_out_at_the_approval(timed_bot, simulator, clock):
    """A single request for one of the plan's datastores, filed and copied after the plan was (as by a
    replica of an earlier release, or at the same moment): the plan does not copy it again."""
    bot = timed_bot
    plan_id = file_plan(bot, simulator, 20000, 20001)
    single = bot.runtime.service.filing  # its refusal of a planned datastore is the next test's
    single._refuse_if_in_a_pending_plan = lambda spec: None
    bot.command(f"migrate {BIG} 2001 20001 pcc-192-0-2-50 1515")
    bot.settle()
    (request,) = bot.runtime.repo.requests.recent(1)
    bot.click(ids.APPROVE, str(request.id), user="UBOB")
    bot.settle()
    simulator.sim.advance(6 * 3600)
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request.id).state == State.DONE
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    bot.settle()
    assert sorted(posted_filers(simulator)) == [20000, 20001]  # the single's POST, then the plan's one
    assert [i.spec.filer_id for i in bot.runtime.repo.plans.items(plan_id)] == [20000]
    left = bot.runtime.repo.plans.get(plan_id).left_out
    assert [(x.filer_id, x.reason) for x in left] == [(20001, "already copied to pcc-192-0-2-50/1515")]
    (approved,) = [r for r in audit_rows(bot) if r["action"] == "plan approved"]
    assert "ssd-020001 left out: already copied" in approved["detail"]


def test_a_single_filing_refuses_a_datastore_of_a_live_plan(bot, simulator):
    pending = file_plan(bot, simulator, 20000)
    approved = file_plan(bot, simulator, 20001)
    bot.runtime.service.plans.dispatch_later = lambda plan_id: None  # approved, its POST not sent yet
    bot.click(ids.APPROVE_PLAN, str(approved), user="UBOB")
    bot.settle()
    for filer in (20000, 20001):
        bot.command(f"migrate {BIG} 2001 {filer} pcc-192-0-2-50 1515")
        bot.settle()
    in_pending, in_approved = bot.replies()[-2:]
    assert f"filer 20000 of {BIG} is in plan #{pending}, pending" in in_pending
    assert f"cancel plan {pending}" in in_pending
    assert f"of plan #{approved}" in in_approved and "(waiting for approval)" in in_approved
    assert bot.runtime.repo.requests.recent(5) == bot.runtime.repo.plans.items(approved)  # no single request


def test_a_copy_filer_plan_quotes_the_conditions_and_its_approval_records_the_acceptance(running, simulator):
    bot = running(migration_api="copyFiler")
    plan_id = file_plan(bot, simulator, 20000, 20001)
    card = plan_cards(bot)[-1]
    text = json.dumps(card["blocks"])
    assert json.dumps(COPY_FILER_CONSENT)[1:-1] in text and "intermerdiary" in text
    approve = next(
        e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"] if "confirm" in e
    )
    confirm = approve["confirm"]["text"]["text"]
    assert "recorded as the acceptance of the conditions quoted on the card" in confirm
    assert len(confirm) <= 300
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
    bot.settle()
    assert sorted(posted_filers_of(simulator, r"/copyFiler$")) == [20000, 20001]
    (approved,) = [r for r in audit_rows(bot) if r["action"] == "plan approved"]
    assert approved["actor"] == "UBOB" and "accepted the copyFiler conditions" in approved["detail"]


def posted_filers_of(simulator, route: str) -> list[int]:
    return [json.loads(c.body)["filerId"] for c in simulator.sim.calls_to("POST", route)]


def test_readers_cover_the_migrate_form_and_plans(running, simulator):
    bot = running(readers=frozenset({"UREADER"}))  # UALICE is neither a reader nor an approver
    simulator.sim.inventory[BIG] = large_pcc(6)
    bot.command(PLAN)
    bot.command("migrate")
    bot.settle()
    refused = [r for r in bot.replies() if "only the people listed in PCC_READERS" in r]
    assert len(refused) == 2 and len(bot.replies()) == 2
    assert bot.runtime.repo.plans.recent(5) == [] and plan_cards(bot) == []
    assert bot.slack.standin.calls_to("views.open") == []
    options = suggest(bot, "src_pcc")
    bot.settle()
    assert suggest(bot, "src_pcc") == options == ["-"]  # one option saying so, nothing listed
    assert suggest(bot, "filer", src_pcc="pcc-192-0-2-15", src_dc="1337") == ["-"]


def test_a_plan_whose_card_slack_refuses_for_good_is_withdrawn_and_frees_its_datastores(
    bot, simulator, slack
):
    slack.standin.refused_channels["CPRIVATE"] = "not_in_channel"
    simulator.sim.inventory[BIG] = large_pcc(6)
    bot.command(f"{PLAN} 20000", channel="CPRIVATE")
    bot.settle()
    bot.runtime.service.deliver_notices()
    (plan,) = bot.runtime.repo.plans.recent(5)
    assert plan.state == PlanState.CANCELLED and plan.decided_by == "pcc-bot"
    room = [
        c.args["text"] for c in slack.standin.calls_to("chat.postMessage") if c.args["channel"] == INCIDENT
    ]
    assert any("could not be delivered" in str(t) for t in room)
    bot.command(f"migrate {BIG} 2001 20000 pcc-192-0-2-50 1515")  # its datastore is free again
    bot.settle()
    assert "filed and posted" in bot.replies()[-1]


def test_a_plan_card_whose_ts_could_not_be_stored_is_not_posted_twice(
    timed_bot, simulator, clock, monkeypatch
):
    bot = timed_bot
    repo = bot.runtime.repo
    fail_once(monkeypatch, repo.plans, "set_card", StorageError("database is locked"))
    plan_id = file_plan(bot, simulator, 20000)
    clock.advance(seconds=10)
    bot.runtime.service.deliver_notices()
    cards = [c for c in plan_cards(bot) if c["channel"] == CHANNEL]
    assert len(cards) == 1
    assert repo.plans.get(plan_id).card_ts is not None
    assert re.search(rf"Plan #{plan_id}\b", cards[0]["text"])
