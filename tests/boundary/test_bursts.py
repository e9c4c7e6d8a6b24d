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


def test_the_queued_estimate_is_within_a_factor_of_two_of_the_truth(config, slack, simulator):
    from tests.helpers import BudgetTime

    simulator.sim.latency = 0.02  # the simulator's slowness: a real round trip per call
    budget = BudgetTime()
    seen: list[tuple[float, str]] = []
    slack.standin.listener = lambda call: seen.append((budget.clock(), str(call.args.get("text"))))
    bot = start_bot(replace(config, ovh_rate=30), slack, budget_time=(budget.clock, budget.sleep))
    try:
        limiter = bot.runtime.gateway._api.limiter
        while True:  # the poller's reads spread over the last minute: a place frees every 2 s or so
            budget.sleep(60.0 / 27)
            if not limiter.try_acquire():
                break
        bot.command(MIGRATE)  # about eight reads, each waiting for its place: alone, the clock is hers
        bot.settle()
    finally:
        stop_bot(bot)
    queued = [(at, text) for at, text in seen if text.startswith(":hourglass: Queued")]
    carded = [at for at, text in seen if "Request #" in text]
    assert queued and carded, seen
    estimate = float(re.search(r"about (\d+) s", queued[0][1]).group(1))
    truth = carded[0] - queued[0][0]
    print(f"queued estimate {estimate:.0f} s, truth {truth:.1f} s, ratio {truth / estimate:.2f}")
    assert 0.5 <= truth / estimate <= 2.0, (estimate, truth)


def test_a_decision_reads_its_group_again_after_a_429(bot, slack):
    from bot.adapters.slack import ids
    from bot.domain import State
    from tests.helpers import file_request

    first = file_request(bot)
    second = file_request(bot, "migrate pcc-192-0-2-15 1337 1235 pcc-192-0-2-50 1515")
    slack.standin.fail("usergroups.users.list", status=429, times=1, retry_after=1)
    bot.click(ids.APPROVE, str(first), user="UCAROL")  # UCAROL approves as a member of SONCALL
    bot.settle()
    bot.click(ids.APPROVE, str(second), user="UCAROL")
    bot.settle()
    assert bot.runtime.repo.requests.get(first).state != State.PENDING, bot.replies()
    assert bot.runtime.repo.requests.get(second).state != State.PENDING, bot.replies()


def test_a_listing_that_waited_and_filled_in_uses_its_response_url_at_most_five_times(
    config, slack, simulator
):
    from tests.helpers import BudgetTime

    simulator.sim.inventory[BIG] = large_pcc(120)
    simulator.sim.expansion = False
    budget = BudgetTime()
    bot = start_bot(config, slack, budget_time=(budget.clock, budget.sleep))
    try:
        limiter = bot.runtime.gateway._api.limiter
        while limiter.try_acquire():  # the poller's reads spent the minute
            pass
        bot.command(f"filers {BIG} 2001")
        bot.settle()
    finally:
        stop_bot(bot)
    replies = bot.replies()
    assert replies[0].startswith(":hourglass: Queued") and "120 datastore(s)" in replies[-1], replies
    assert "known by id" not in replies[-1]  # complete
    assert len(replies) <= 5, replies  # Slack takes five answers on a response_url


class FastBudget:
    """The call budget's minute, ten times faster than the wall clock (every thread sees the same)."""

    SPEED = 10.0

    def clock(self) -> float:
        return time.monotonic() * self.SPEED

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.SPEED)


def test_a_listing_during_a_plan_dispatch_keeps_a_share_of_the_budget(config, slack, simulator):
    from bot.adapters.slack import ids
    from tests.helpers import POST_ROUTE

    simulator.sim.inventory[BIG] = large_pcc(160)
    budget = FastBudget()
    posts_when_answered: list[int] = []

    def seen(call) -> None:
        if call.method == "response_url" and "pcc-192-0-2-15" in str(call.args.get("text")):
            posts_when_answered.append(len(simulator.sim.calls_to("POST", POST_ROUTE)))

    slack.standin.listener = seen
    bot = start_bot(config, slack, budget_time=(budget.clock, budget.sleep))
    try:
        bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
        bot.settle()
        card = [c for c in slack.standin.calls_to("chat.postMessage") if "Plan #" in str(c.args["text"])]
        plan_id = int(re.search(r"Plan #(\d+)", card[-1].args["text"]).group(1))
        bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
        while len(simulator.sim.calls_to("POST", POST_ROUTE)) < 40:  # the minute is the dispatch's
            time.sleep(0.01)
        bot.command("filers pcc-192-0-2-15", user="UDAVE")
        assert bot.runtime.wait_idle(timeout=50)
    finally:
        stop_bot(bot)
    sent = len(simulator.sim.calls_to("POST", POST_ROUTE))
    print("posts when answered", posts_when_answered)
    assert sent == 160  # the last hundred a place a second, once the first minute passed
    assert posts_when_answered and posts_when_answered[0] < 100, (posts_when_answered, bot.replies())


def test_after_seventy_listings_of_unknown_pccs_her_own_filing_is_carded(config, slack, simulator):
    from bot.adapters.slack import ids

    budget = FastBudget()
    bot = start_bot(config, slack, budget_time=(budget.clock, budget.sleep))
    try:
        _at_once(bot, [(f"filers pcc-203-0-113-{n}", "UALICE") for n in range(70)])
        bot.settle()
        bot.command(MIGRATE)
        cards = slack.standin.wait_for("chat.postMessage", timeout=20, where=lambda c: "#" in str(c.args))
        bot.settle()
    finally:
        stop_bot(bot)
    replies = bot.replies()
    assert cards and ids.APPROVE in str(cards[-1].args["blocks"]), replies[-3:]
    assert sum("not found" in r for r in replies) + sum("You already have 10" in r for r in replies) == 70
