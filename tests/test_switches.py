"""PCC_READ_ONLY and PCC_ALLOWED_CHANNELS, over HTTP."""

from dataclasses import replace

import pytest

from bot.adapters.slack import ids
from bot.domain import State
from bot.ops.config import ConfigError, load
from tests.conftest import MIGRATE, POST_ROUTE, file_request, start_bot, stop_bot


@pytest.fixture
def running(config, slack):
    started = []

    def run(**changes):
        bot = start_bot(replace(config, **changes), slack)
        started.append(bot)
        return bot

    yield run
    for bot in started:
        stop_bot(bot)


def test_read_only_lists_but_refuses_every_mutation(running, simulator):
    bot = running(read_only=True)
    bot.command("filers pcc-192-0-2-15 1337")
    bot.settle()
    bot.command(MIGRATE)
    bot.settle()
    listing, refusal = bot.replies()
    assert "3 datastore(s)" in listing
    assert "read-only mode (PCC_READ_ONLY=1): filing a migration request is switched off" in refusal
    assert bot.runtime.repo.recent(5) == []


def test_read_only_refuses_approving_a_request_filed_before(running, simulator, config, slack):
    bot = running()
    request_id = file_request(bot)
    stop_bot(bot)
    bot = running(read_only=True)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    assert "approving a migration is switched off" in bot.replies()[-1]
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []


def test_commands_outside_allowed_channels_are_refused(running, simulator):
    bot = running(allowed_channels=frozenset({"CINCIDENT"}))
    response = bot.command(MIGRATE)  # from COPS
    assert response.status_code == 200
    assert "not enabled in this channel" in response.text
    bot.settle()
    assert bot.runtime.repo.recent(5) == [] and simulator.sim.calls == []
    assert bot.command("help", channel="CINCIDENT").status_code == 200
    bot.settle()
    assert "/pcc filers" in bot.replies()[-1]


def test_buttons_on_the_bots_messages_work_wherever_it_posted_them(running, simulator):
    bot = running(allowed_channels=frozenset({"COPS"}))  # the incident room is not listed
    request_id = file_request(bot, "migrate pcc-192-0-2-15 1338 1240 pcc-192-0-2-50 1515")
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    simulator.sim.advance(3 * 3600)  # the simulator fails filer 1240 halfway
    bot.runtime.service.poll_once()
    room = [
        c
        for c in bot.slack.standin.calls_to("chat.postMessage")
        if c.args["channel"] == "CINCIDENT" and "ended `error`" in str(c.args["text"])
    ]
    assert room, "the failure notice reached the incident room"
    bot.click(ids.RETRY, str(request_id), user="UCAROL", channel="CINCIDENT")  # its Retry button
    bot.settle()
    assert not any("not enabled" in r for r in bot.replies())
    assert len(simulator.sim.calls_to("POST", r"/resetTaskState$")) == 1
    assert bot.runtime.repo.get(request_id).state == State.REPLICATING


def test_switch_values_are_validated():
    assert load({"PCC_READ_ONLY": "1", "PCC_ALLOWED_CHANNELS": "C1AB, C2CD"}).allowed_channels == {
        "C1AB",
        "C2CD",
    }
    with pytest.raises(ConfigError) as caught:
        load({"PCC_READ_ONLY": "maybe", "PCC_ALLOWED_CHANNELS": "#ops"})
    assert len(caught.value.problems) == 2
