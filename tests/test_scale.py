"""Large accounts: a 120-datastore datacenter, with and without list expansion, within the budget."""

import re
import threading
from dataclasses import replace
from typing import Any

import pytest

from bot.simulator import large_pcc
from tests.conftest import start_bot, stop_bot

BIG = "pcc-192-0-2-99"
LINE = re.compile(r"• `ssd-0\d+` id (\d+)")


def filer_ids(reply: dict[str, Any]) -> list[int]:
    texts = [str(b.get("text", {}).get("text", "")) for b in reply["blocks"]]
    return [int(found) for text in texts for found in LINE.findall(text)]


def replies(bot) -> list[dict[str, Any]]:
    return [c.args for c in bot.slack.standin.calls_to("response_url")]


class BudgetTime:
    """The call budget's clock: a sleep moves it at once, so a minute of budget passes in no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


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
