"""Plans over HTTP against the simulator: one card for a datacenter, one four-eyes decision, one POST
per datastore whatever the clicks, failures alone, the board edited in place, one summary."""

import csv
import io
import json
import re
import threading
from dataclasses import replace

import pytest

from bot.adapters.slack import ids
from bot.demo.simulator import large_pcc
from bot.domain import PlanState, State
from tests.helpers import INCIDENT, POST_ROUTE, file_request

BIG = "pcc-192-0-2-99"


@pytest.fixture
def config(config):
    """A budget of 120 calls a minute: filing a 40-datastore plan, its 39 POSTs and the rules read
    fresh when its dispatch starts take more than 60 in one minute, and the budget is not what these
    tests are about (tests/boundary/test_plan_drill.py holds the busiest minute to it)."""
    return replace(config, ovh_rate=120)


def plan_card(bot):
    posted = [c for c in bot.slack.standin.calls_to("chat.postMessage") if "Plan #" in str(c.args["text"])]
    return posted[-1].args


def board(bot):
    edits = [c for c in bot.slack.standin.calls_to("chat.update") if "Plan #" in str(c.args["text"])]
    return json.dumps(edits[-1].args["blocks"], ensure_ascii=False)


def posted_filers(simulator) -> list[int]:
    return [json.loads(c.body)["filerId"] for c in simulator.sim.calls_to("POST", POST_ROUTE)]


def _file_a_plan_of_39(bot, simulator) -> int:
    simulator.sim.inventory[BIG] = large_pcc(40)
    taken = file_request(bot, f"migrate {BIG} 2001 20007 pcc-192-0-2-50 1515")  # a single request has one
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
    bot.settle()
    card = plan_card(bot)
    plan_id = int(re.search(r"Plan #(\d+)", card["text"]).group(1))
    text = json.dumps(card["blocks"], ensure_ascii=False)
    assert "39 datastores" in text and f"request #{taken} has it (pending)" in text
    assert ids.APPROVE_PLAN in text and "confirm" in text
    return plan_id


def _racing_approvals_post_each_datastore_once(bot, simulator, plan_id: int) -> None:
    simulator.sim.inject("POST", POST_ROUTE, 400)  # the first POST is refused
    simulator.sim.inject("POST", POST_ROUTE, 503)  # the second runs, and its answer is lost
    bot.click(ids.APPROVE_PLAN, str(plan_id), user="UALICE")  # the requester cannot
    clicks = [
        threading.Thread(target=bot.click, args=(ids.APPROVE_PLAN, str(plan_id), user))
        for user in ("UBOB", "UCAROL", "UBOB")
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    bot.settle()
    assert bot.runtime.repo.plans.get(plan_id).state == PlanState.APPROVED
    sent = posted_filers(simulator)
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 39 and 20007 not in sent  # once each
    states = sorted(i.state for i in bot.runtime.repo.plans.items(plan_id))
    assert states.count(State.FAILED) == 1 and states.count(State.NEEDS_ATTENTION) == 1
    assert states.count(State.REPLICATING) == 37
    assert any("you filed plan" in r for r in bot.replies())
    assert sum("is already approved" in r for r in bot.replies()) == 2  # plans say it their way


def _the_plan_ends_with_one_summary(bot, simulator, clock, plan_id: int) -> None:
    bot.runtime.service.poll_once()  # the lost answer: its task is found by reading
    simulator.sim.advance(6 * 3600)
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.plans.get(plan_id).state == PlanState.ENDED
    assert len(posted_filers(simulator)) == 39  # nothing sent again
    calls = bot.slack.standin.calls_to("chat.postMessage")
    room = [c.args["text"] for c in calls if c.args["channel"] == INCIDENT]
    summaries = [t for t in room if f"Plan #{plan_id} ended" in t]
    assert len(summaries) == 1 and "38 copied, 1 failed" in summaries[0]
    assert len([t for t in room if "ssd-" in t or f"plan #{plan_id}" in t.lower()]) <= 12
    shown = board(bot)
    assert shown.index(":x: failed") < shown.index(":white_check_mark: done")  # failures first
    assert "Injected failure 400" in shown  # the refusal's reason, on its line


def _home_list_and_audit_show_the_ended_plan(bot, plan_id: int) -> None:
    home = bot.runtime.service.reading.home("UBOB")
    assert home.plans == () and all(r.plan_id is None for r in home.to_approve)  # ended: off the Home
    bot.command("list", user="UBOB")
    bot.command("audit 1", user="UBOB")
    bot.settle()
    listed = [r for r in bot.replies() if "Recent plans" in r][-1]
    assert f"Plan #{plan_id}" in listed and "38 copied, 1 failed, 0 cancelled" in listed
    (upload,) = bot.slack.standin.calls_to("file_upload")
    rows = list(csv.DictReader(io.StringIO(upload.args["content"])))
    assert {r["plan_id"] for r in rows if r["filer_id"] != "20007"} == {str(plan_id)}


def test_a_datacenter_in_one_decision_each_datastore_posted_once(timed_bot, simulator, clock):
    plan_id = _file_a_plan_of_39(timed_bot, simulator)
    _racing_approvals_post_each_datastore_once(timed_bot, simulator, plan_id)
    _the_plan_ends_with_one_summary(timed_bot, simulator, clock, plan_id)
    _home_list_and_audit_show_the_ended_plan(timed_bot, plan_id)


def test_cancel_the_rest_stops_what_is_not_sent_and_a_rejected_plan_sends_nothing(bot, simulator):
    simulator.sim.inventory[BIG] = large_pcc(6)
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515 20000 20001")
    bot.settle()
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
    bot.settle()
    first, second = sorted(p.id for p in bot.runtime.repo.plans.recent(5))
    assert [i.filer_id for i in bot.runtime.repo.plans.get(first).items] == [20000, 20001]
    assert [x.reason for x in bot.runtime.repo.plans.get(second).left_out] == [f"plan #{first} has it"] * 2
    from bot.adapters.slack import listings

    home = bot.runtime.service.reading.home("UBOB")
    shown = json.dumps(
        listings.home_view(home.mine, home.to_approve, home.active, home.plans), ensure_ascii=False
    )
    assert "Plans pending or copying" in shown and f"Plan #{first}" in shown and f"Plan #{second}" in shown
    bot.click(ids.REJECT_PLAN, str(first), user="UBOB")
    bot.settle()
    assert bot.runtime.repo.plans.get(first).state == PlanState.REJECTED
    bot.click(ids.APPROVE_PLAN, str(first), user="UCAROL")
    bot.settle()
    assert posted_filers(simulator) == [] and bot.runtime.repo.plans.items(first) == []
    assert "plan #1 is already rejected" in bot.replies()[-1]

    bot.click(ids.CANCEL_PLAN_REST, str(second), user="UBOB")
    bot.settle()
    assert "is pending: there is nothing being dispatched" in bot.replies()[-1]


def test_a_plan_names_every_problem_and_unknown_datastores(bot, simulator):
    bot.command("plan pcc-192-0-2-15 1337 pcc-192-0-2-16 1515 1234 4242")
    bot.settle()
    bot.command("plan pcc-192-0-2-15 1337 pcc-192-0-2-50")
    bot.settle()
    first, second = bot.replies()[-2:]
    assert "datacenter 1515 not found in PCC pcc-192-0-2-16" in first
    bot.command("plan pcc-192-0-2-15 1337 pcc-192-0-2-50 1515 1234 4242")
    bot.settle()
    assert "filer 4242 not found in datacenter 1337 of pcc-192-0-2-15" in bot.replies()[-1]
    assert (
        "`plan` takes 4 to 104 argument(s), got 3" in second
        and "Usage: `/pcc plan &lt;sourceService&gt;" in second
    )
    assert not [c for c in bot.slack.standin.calls_to("chat.postMessage") if "Plan #" in str(c.args["text"])]
