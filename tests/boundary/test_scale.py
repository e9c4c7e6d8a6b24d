"""Large accounts: a 120-datastore datacenter, with and without list expansion, within the budget."""

import re
from dataclasses import replace
from typing import Any

import pytest

from bot.adapters.slack import listings
from bot.demo.simulator import large_pcc
from bot.domain import Field, State
from tests.helpers import BudgetTime, start_bot, stop_bot

BIG = "pcc-192-0-2-99"
LINE = re.compile(r"• `ssd-0\d+` id (\d+)")


def filer_ids(reply: dict[str, Any]) -> list[int]:
    texts = [str(b.get("text", {}).get("text", "")) for b in reply["blocks"]]
    return [int(found) for text in texts for found in LINE.findall(text)]


def replies(bot) -> list[dict[str, Any]]:
    return [c.args for c in bot.slack.standin.calls_to("response_url")]


@pytest.mark.parametrize("expansion", [True, False])
def test_a_120_datastore_datacenter_is_listed_whole_over_two_pages(config, slack, simulator, expansion):
    simulator.sim.inventory[BIG] = large_pcc(120)
    simulator.sim.expansion = expansion
    bot = start_bot(replace(config, ovh_rate=1000), slack)
    try:
        bot.command(f"filers {BIG} 2001")
        bot.settle()
        first = replies(bot)[-1]
        calls = len(simulator.sim.calls_to("GET", "^/dedicatedCloud/"))
        bot.command(f"filers {BIG} 2001 page 2")
        bot.settle()
        second = replies(bot)[-1]
    finally:
        stop_bot(bot)
    assert "120 datastore(s)" in first["text"]
    assert "Datastores 1 to 100 of 120" in str(first["blocks"])
    assert f"/pcc filers {BIG} 2001 page 2" in str(first["blocks"])
    assert "Datastores 101 to 120 of 120" in str(second["blocks"])
    assert sorted(filer_ids(first) + filer_ids(second)) == list(range(20000, 20120))  # every one, once
    assert calls <= 5 if expansion else calls >= 120  # objects at once, or one read per datastore


def test_without_expansion_the_first_answer_comes_at_once_and_fills_in_within_the_budget(
    config, slack, simulator
):
    simulator.sim.inventory[BIG] = large_pcc(100)
    simulator.sim.expansion = False
    budget = BudgetTime()
    bot = start_bot(config, slack, budget_time=(budget.clock, budget.sleep))  # 60 calls a minute
    try:
        bot.command(f"filers {BIG} 2001")
        bot.settle()
    finally:
        stop_bot(bot)
    answers = replies(bot)
    first, last = answers[0], answers[-1]
    assert first.get("replace_original") is None
    assert 0 < len(filer_ids(first)) < 100 and "still being read" in str(first["blocks"])
    assert 2 <= len(answers) <= 5  # the first answer and at most four edits (response_url allows five)
    assert all(a.get("replace_original") is True for a in answers[1:])
    assert sorted(filer_ids(last)) == list(range(20000, 20100)) and "still being read" not in str(last)
    reads = simulator.sim.calls_to("GET", r"/filer/\d+$")
    assert len(reads) == 100  # each datastore read once
    assert budget.now - 1000.0 >= 60  # the budget had to wait for room: more than a minute of calls


def approved(bot, filer: int) -> int:
    bot.command(f"migrate pcc-192-0-2-15 1337 {filer} pcc-192-0-2-50 1515")
    bot.settle()
    request_id = int(max(r.id for r in bot.runtime.repo.requests.recent(10)))
    bot.click("pcc_approve", str(request_id), user="UBOB")
    bot.settle()
    return request_id


def test_one_expanded_read_per_destination_covers_every_tracked_task(timed_bot, simulator, clock):
    bot = timed_bot
    requests = [approved(bot, filer) for filer in (1234, 1235, 1236)]
    simulator.sim.advance(2 * 3600)
    before = len(simulator.sim.calls_to("GET", r"/task"))
    bot.runtime.service.poll_once()
    task_reads = simulator.sim.calls_to("GET", r"/task")[before:]
    assert [c.path for c in task_reads] == ["/dedicatedCloud/pcc-192-0-2-50/task"]  # one read for three
    assert all(bot.runtime.repo.requests.get(r).progress == 50 for r in requests)
    simulator.sim.expansion = False  # the route stops expanding: each task is read on its own
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    bot.runtime.service.poll_once()
    assert len(simulator.sim.calls_to("GET", r"/task/\d+$")) == 3


def test_a_task_unreadable_three_polls_in_a_row_is_announced_once_with_its_query_ids(
    timed_bot, simulator, clock
):
    bot = timed_bot
    request_id = approved(bot, 1234)
    task_id = bot.runtime.repo.requests.get(request_id).task_id
    simulator.sim.tasks.pop(task_id)  # OVHcloud answers 404 for it from now on
    for _ in range(4):
        clock.advance(hours=1)
        bot.runtime.service.poll_once()
    notices = [
        c.args
        for c in bot.slack.standin.calls_to("chat.postMessage")
        if "could not be read for 3 polls" in c.args["text"]
    ]
    assert {n["channel"] for n in notices} == {"COPS", "CINCIDENT"} and len(notices) == 2
    assert "EU.ext-sim." in notices[0]["text"] and str(task_id) in notices[0]["text"]
    assert (
        bot.runtime.repo.requests.get(request_id).state == State.REPLICATING
    )  # still tracked, never guessed


def test_no_list_is_cut_silently(config, slack, simulator):
    simulator.sim.inventory[BIG] = large_pcc(150)
    bot = start_bot(config, slack)
    try:
        for filer in (1234, 1235, 1236, 1240, 1241):
            bot.command(
                f"migrate pcc-192-0-2-15 {1337 if filer < 1240 else 1338} {filer} pcc-192-0-2-50 1515"
            )
        bot.settle()
        total = len(bot.runtime.repo.requests.recent(100))
        listed = bot.runtime.service.reading.recent("UALICE", limit=3)
        assert len(listed[0]) == 3 and listed[1] == total == 5
        text = listings.list_message(*listed)[0]
        assert "The 3 most recent of 5 requests" in text
        options = bot.runtime.service.filing.form_options(
            Field.FILER, "", {Field.SOURCE: BIG, Field.SOURCE_DATACENTER: "2001"}, "UALICE"
        )
        bot.settle()
        options = bot.runtime.service.filing.form_options(
            Field.FILER, "", {Field.SOURCE: BIG, Field.SOURCE_DATACENTER: "2001"}, "UALICE"
        )
        assert len(options) == 100 and (options[-1][0], str(options[-1][1])) == (
            "-",
            "…51 more: type to narrow the list",
        )
        narrowed = bot.runtime.service.filing.form_options(
            Field.FILER, "ssd-020149", {Field.SOURCE: BIG, Field.SOURCE_DATACENTER: "2001"}, "UALICE"
        )
        assert [value for value, _ in narrowed] == ["20149"]  # type-ahead over the whole list
    finally:
        stop_bot(bot)
