"""The call budget serves people: a burst of filings by one person is queued up to ten at once (the
rest refused at once, saying so: issue 24), and another person is still answered; what the budget
cannot fit says when to try again, and that nothing was sent."""

import threading
from dataclasses import replace

from bot.demo.simulator import large_pcc
from tests.helpers import BudgetTime, start_bot, stop_bot

BIG = "pcc-192-0-2-99"


def test_twenty_filings_in_a_burst_file_ten_refuse_ten_and_another_person_is_answered(
    config, slack, simulator
):
    simulator.sim.inventory[BIG] = large_pcc(20)
    budget = BudgetTime()
    bot = start_bot(config, slack, budget_time=(budget.clock, budget.sleep))  # 60 calls a minute
    before = len(simulator.sim.calls_to("GET", "^/dedicatedCloud"))
    try:
        commands = [
            threading.Thread(
                target=bot.command, args=(f"migrate {BIG} 2001 {20000 + n} pcc-192-0-2-50 1515",)
            )
            for n in range(20)
        ]
        commands.append(
            threading.Thread(target=bot.command, args=("filers pcc-192-0-2-16",), kwargs={"user": "UDAVE"})
        )
        for thread in commands:
            thread.start()
        for thread in commands:
            thread.join()
        bot.settle()
        filed = len(bot.runtime.repo.requests.recent(50))
    finally:
        stop_bot(bot)
    reads = len(simulator.sim.calls_to("GET", "^/dedicatedCloud")) - before
    replies = bot.replies()
    refused = [r for r in replies if "You already have 10 commands waiting for OVHcloud" in r]
    assert filed + len(refused) == 20 and filed >= 10, replies
    assert not any("not sent" in r or "OVHcloud API error" in r for r in replies), replies
    assert len(bot.slack.standin.calls_to("chat.postMessage")) >= filed
    assert any("pcc-192-0-2-16" in r and "datastore" in r for r in replies)  # Dave's listing
    assert reads <= 3 * 20, reads
    assert budget.now - 1000.0 < 180  # within three minutes of budget


def test_a_read_the_budget_cannot_fit_in_time_says_when_to_try_again_and_that_nothing_was_sent(
    config, slack, simulator
):
    budget = BudgetTime()
    bot = start_bot(
        replace(config, ovh_rate=3), slack, budget_time=(budget.clock, budget.sleep), read_wait_seconds=1
    )
    try:
        for n in range(3):
            bot.command(f"filers pcc-192-0-2-{15 + n}")
        bot.settle()
    finally:
        stop_bot(bot)
    refused = [r for r in bot.replies() if "not sent" in r]
    assert refused and all("try again after" in r and "No call was made" in r for r in refused)
    assert not any("OVHcloud API error" in r for r in refused)
