"""PCC_READ_ONLY, PCC_ALLOWED_CHANNELS and PCC_READERS, over HTTP."""

import pytest

from bot.adapters.slack import ids
from bot.domain import State
from bot.ops.config import ConfigError, load
from tests.helpers import MIGRATE, POST_ROUTE, file_request, stop_bot


def test_read_only_lists_but_refuses_every_mutation(running, simulator):
    bot = running(read_only=True)
    bot.command("filers pcc-192-0-2-15 1337")
    bot.settle()
    bot.command(MIGRATE)
    bot.settle()
    listing, refusal = bot.replies()
    assert "3 datastore(s)" in listing
    assert "read-only mode (PCC_READ_ONLY=1): filing a migration request is switched off" in refusal
    assert bot.runtime.repo.requests.recent(5) == []


def test_read_only_refuses_approving_a_request_filed_before(running, simulator, config, slack):
    bot = running()
    request_id = file_request(bot)
    stop_bot(bot)
    bot = running(read_only=True)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    assert f"approving request #{request_id} is switched off" in bot.replies()[-1]
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []


def test_commands_outside_allowed_channels_are_refused(running, simulator):
    bot = running(allowed_channels=frozenset({"CINCIDENT"}))
    response = bot.command(MIGRATE)  # from COPS
    assert response.status_code == 200
    assert "not enabled in this channel" in response.text
    bot.settle()
    assert bot.runtime.repo.requests.recent(5) == [] and simulator.sim.calls == []
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
    assert bot.runtime.repo.requests.get(request_id).state == State.REPLICATING


def test_switch_values_are_validated():
    assert load({"PCC_READ_ONLY": "1", "PCC_ALLOWED_CHANNELS": "C1AB, C2CD"}).allowed_channels == {
        "C1AB",
        "C2CD",
    }
    with pytest.raises(ConfigError) as caught:
        load({"PCC_READ_ONLY": "maybe", "PCC_ALLOWED_CHANNELS": "#ops"})
    assert len(caught.value.problems) == 2


def test_readers_see_requests_and_the_inventory_others_only_their_own(running):
    bot = running(readers=frozenset({"UREADER", "SONCALL"}))
    mine = file_request(bot)  # Alice, no reader, files (and so sees her own request)
    asked = [
        ("UMALLORY", "filers pcc-192-0-2-15"),
        ("UMALLORY", "filers pcc-192-0-2-15 csv"),
        ("UMALLORY", "list"),
        ("UMALLORY", f"status {mine}"),
        ("UALICE", f"status {mine}"),
        ("UREADER", "list"),
        ("UCAROL", "filers pcc-192-0-2-15 1337"),  # a member of a listed group
        ("UBOB", f"status {mine}"),  # an approver
    ]
    for user, text in asked:
        bot.command(text, user=user)
        bot.settle()
    replies = bot.replies()[1:]  # after the filing's
    refused = [r for r in replies if "PCC_READERS" in r]
    assert len(refused) == 4 and all("only the people listed in PCC_READERS" in r for r in refused)
    assert len(replies) == len(asked)
    home = bot.runtime.service.reading.home("UMALLORY")
    assert (home.mine, home.to_approve, home.active) == ((), (), ())


def test_readers_must_be_user_or_group_ids():
    with pytest.raises(ConfigError, match="PCC_READERS: 'alice' is not a user id"):
        load({"PCC_APPROVERS": "UBOB", "PCC_READERS": "alice"})
