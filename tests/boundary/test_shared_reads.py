"""Reads a plan or several commands share (issue 24): a plan naming two datastores reads those two, a
whole datacenter costs one listing, and reads of one object asked at once are made once."""

from bot.demo.simulator import large_pcc
from tests.helpers import BudgetTime, start_bot, stop_bot

BIG = "pcc-192-0-2-99"
LIST = r"/datacenter/2001/filer$"
ONE = r"/filer/\d+$"


def test_a_plan_naming_two_datastores_reads_those_two_not_the_datacenter(bot, simulator):
    simulator.sim.inventory[BIG] = large_pcc(40)
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515 20003 20007")
    bot.settle()
    assert any("2 datastore(s)" in r for r in bot.replies()), bot.replies()
    assert not simulator.sim.calls_to("GET", LIST)
    read = sorted(c.path.rsplit("/", 1)[1] for c in simulator.sim.calls_to("GET", ONE))
    assert read == ["20003", "20007"], read


def test_a_plan_of_a_whole_datacenter_on_an_ids_only_api_costs_one_listing(bot, simulator):
    simulator.sim.inventory[BIG] = large_pcc(40)
    simulator.sim.expansion = False
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
    bot.settle()
    assert any("40 datastore(s)" in r for r in bot.replies()), bot.replies()
    lists = [c.path for c in simulator.sim.calls_to("GET", r"/filer$")]
    assert lists == [f"/dedicatedCloud/{BIG}/datacenter/2001/filer"], lists  # not the PCC's global ones
    assert len(simulator.sim.calls_to("GET", ONE)) == 40


def test_page_two_asked_while_page_one_fills_in_reads_each_datastore_once(config, slack, simulator):
    simulator.sim.inventory[BIG] = large_pcc(120)
    simulator.sim.expansion = False
    simulator.sim.latency = 0.02
    budget = BudgetTime()
    bot = start_bot(config, slack, budget_time=(budget.clock, budget.sleep))
    try:
        bot.command(f"filers {BIG} 2001")
        slack.standin.wait_for("response_url", timeout=10)  # page one's first answer: it fills in now
        bot.command(f"filers {BIG} 2001 page 2", user="UDAVE")
        assert bot.runtime.wait_idle(timeout=50)
    finally:
        stop_bot(bot)
    replies = bot.replies()
    assert len(simulator.sim.calls_to("GET", ONE)) == 120
    assert all("known by id" not in r for r in (replies[-1], replies[-2])), replies[-2:]  # both whole
