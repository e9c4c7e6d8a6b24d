"""People before bursts (issue 24): commands that need no OVHcloud call never wait behind ones that do,
each person's queue of OVHcloud-bound commands is bounded (the rest refused at once, saying so), a
command queued past its response_url's life is told, a command arriving while the bot stops is told
that it restarts, and every "queued" estimate is within a factor of two of the truth."""

import re
import threading
import time
from dataclasses import replace

from bot.demo.simulator import large_pcc
from tests.helpers import MIGRATE, start_bot, stop_bot

BIG = "pcc-192-0-2-99"


def _at_once(bot, texts_and_users) -> None:
    threads = [threading.Thread(target=bot.command, args=pair) for pair in texts_and_users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_forty_listings_of_one_person_neither_delay_anothers_list_nor_all_queue(config, slack, simulator):
    simulator.sim.inventory[BIG] = large_pcc(120)
    simulator.sim.expansion = False  # each listing wants 120 reads: the budget is spent for minutes
    bot = start_bot(replace(config, ovh_rate=6), slack)
    try:
        _at_once(bot, [(f"filers {BIG} 2001", "UALICE")] * 40)
        asked = time.monotonic()
        bot.command("list", user="UBOB")
        listed = slack.standin.wait_for("response_url", timeout=10, where=lambda c: "request" in str(c.args))
        answered = time.monotonic() - asked
        replies = bot.replies()
    finally:
        stop_bot(bot)
    assert listed and answered < 10, replies  # not behind the forty
    refused = [r for r in replies if "You already have 10 commands waiting for OVHcloud" in r]
    assert len(refused) >= 20, replies  # at most ten of hers wait at once


def test_a_command_arriving_while_the_bot_stops_is_told_it_restarts(config, slack):
    bot = start_bot(config, slack)
    try:
        bot.runtime.close(timeout=1)
        bot.command("list")
        told = slack.standin.wait_for("response_url", timeout=5)
    finally:
        bot.server.stop()
    texts = [str(c.args.get("text")) for c in told]
    assert any("pcc-bot is restarting; nothing was sent, try again in a minute" in t for t in texts), texts
    assert not any("unexpected error" in t for t in texts), texts


def test_a_command_queued_past_its_response_url_life_is_told_in_the_channel(config, slack, simulator):
    simulator.sim.latency = 0.3  # the first listing holds the one OVHcloud-bound thread a while
    bot = start_bot(config, slack, work_threads=1, response_url_seconds=0.5)
    try:
        bot.command("filers pcc-192-0-2-15")
        bot.command("filers pcc-192-0-2-50")
        bot.settle()
    finally:
        stop_bot(bot)
    told = [str(c.args["text"]) for c in slack.standin.calls_to("chat.postEphemeral")]
    assert len(told) == 1 and "longer than Slack keeps its answer open: nothing was sent" in told[0], told
    assert sum("pcc-192-0-2-15" in r for r in bot.replies()) >= 1


class FastBudget:
    """The call budget's minute, ten times faster than the wall clock (every thread sees the same)."""

    SPEED = 10.0

    def clock(self) -> float:
        return time.monotonic() * self.SPEED

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.SPEED)


def test_the_queued_estimate_is_within_a_factor_of_two_of_the_truth(config, slack, simulator):
    simulator.sim.inventory[BIG] = large_pcc(120)
    simulator.sim.expansion = False
    simulator.sim.latency = 0.02  # a round trip of 0.2 s of the budget's time
    seen: list[tuple[float, str]] = []
    slack.standin.listener = lambda call: seen.append((time.monotonic(), str(call.args.get("text"))))
    fast = FastBudget()
    bot = start_bot(replace(config, ovh_rate=30), slack, budget_time=(fast.clock, fast.sleep))
    try:
        bot.command(f"filers {BIG} 2001", user="UDAVE")  # the budget's minute is spent at once
        slack.standin.wait_for("response_url", timeout=10)
        bot.command(MIGRATE)
        slack.standin.wait_for("chat.postMessage", timeout=40, where=lambda c: "#" in str(c.args))
    finally:
        stop_bot(bot)
    queued = [(at, text) for at, text in seen if text.startswith(":hourglass: Queued")]
    carded = [at for at, text in seen if "Request #" in text or "request #" in text]
    assert queued and carded, seen
    estimate = float(re.search(r"about (\d+) s", queued[0][1]).group(1))
    truth = (carded[0] - queued[0][0]) * FastBudget.SPEED
    print(f"queued estimate {estimate:.0f} s, truth {truth:.1f} s, ratio {truth / estimate:.2f}")
    assert 0.5 <= truth / estimate <= 2.0, (estimate, truth)
