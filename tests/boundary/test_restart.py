"""Stop the bot, start it again on the same database: nothing is lost, nothing is done twice."""

from datetime import UTC, datetime

import pytest

from bot.adapters.slack import ids
from bot.domain import State
from bot.usecases.ports import Change
from tests.helpers import CHANNEL, INCIDENT, POST_ROUTE, file_request

FAILING = "migrate pcc-192-0-2-15 1338 1240 pcc-192-0-2-50 1515"


def notices(slack, fragment):
    return [
        (c.args["channel"], c.args.get("thread_ts"))
        for c in slack.standin.calls_to("chat.postMessage")
        if fragment in str(c.args.get("text"))
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515", "restore-001234"),
        (FAILING, "ended `error`"),
    ],
)
def test_notices_after_a_restart_are_sent_once(bots, slack, simulator, text, fragment):
    bot = bots.start()
    request_id = file_request(bot, text)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    card_ts = bot.runtime.repo.requests.get(request_id).card_ts
    bots.stop(bot)

    simulator.sim.advance(5 * 3600)  # replication ends while the bot is down
    bot = bots.start()
    bot.runtime.service.poll_once()
    bot.runtime.service.poll_once()
    assert notices(slack, fragment) == [(CHANNEL, card_ts), (INCIDENT, None)]
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1


def test_a_slack_429_on_the_notice_delays_it_without_losing_or_doubling_it(bots, slack, simulator):
    bot = bots.start()
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    simulator.sim.advance(5 * 3600)
    slack.standin.fail("chat.update", status=429, times=1, retry_after=1)
    slack.standin.fail("chat.postMessage", status=429, times=1, retry_after=1)
    bot.runtime.service.poll_once()
    assert len(notices(slack, "restore-001234")) == 1  # the thread reply met the 429
    bot = bots.restart(bot)  # and the bot restarted before retrying
    slack.standin.wait_for("never", timeout=1.1)  # let Retry-After pass
    bot.runtime.service.deliver_notices()
    bot.runtime.service.deliver_notices()
    assert sorted(notices(slack, "restore-001234"), key=str) == sorted(
        [(CHANNEL, bot.runtime.repo.requests.get(request_id).card_ts), (INCIDENT, None)], key=str
    )


def test_a_request_caught_between_approval_and_answer_is_reconciled(bots, slack, simulator):
    bot = bots.start()
    request_id = file_request(bot)
    # The process dies right after the compare-and-set, before the POST.
    assert bot.runtime.repo.requests.transition(
        request_id,
        State.PENDING,
        State.APPROVED,
        Change(actor="UBOB", action="approved"),
        datetime.now(UTC),
    )
    bot = bots.restart(bot)  # reconciles on start
    assert bot.runtime.repo.requests.get(request_id).state == State.NEEDS_ATTENTION
    assert len(notices(slack, "needs attention")) == 2
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []


def test_an_ambiguous_post_is_adopted_once_its_task_is_found(bot, simulator):
    request_id = file_request(bot)
    simulator.sim.inject("POST", POST_ROUTE, 502)  # the copy starts, but the answer is a 502
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.NEEDS_ATTENTION
    bot.runtime.service.poll_once()
    request = bot.runtime.repo.requests.get(request_id)
    assert request.state == State.REPLICATING and request.task_id == 90001
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
