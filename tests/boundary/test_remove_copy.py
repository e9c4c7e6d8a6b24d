"""Remove copy: once the VMs are cloned, an approver removes the read-only restore datastore."""

import json

from bot.adapters.slack import ids
from bot.domain import State
from tests.helpers import file_request

REMOVE = r"/filer/\d+/remove$"


def finished_request(bot, simulator, clock) -> int:
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    simulator.sim.advance(5 * 3600)
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.DONE
    return request_id


def _the_completion_offers_remove_copy(slack, request_id: int) -> None:
    cards = [c for c in slack.standin.calls_to("chat.update") if c.args["channel"] == "COPS"]
    (button,) = cards[-1].args["blocks"][-1]["elements"]
    assert button["action_id"] == ids.REMOVE_COPY and "cloned" in button["confirm"]["text"]["text"]
    posted = slack.standin.calls_to("chat.postMessage")
    for notice in [c for c in posted if "restore-001234" in str(c.args["text"])]:  # the same action
        (offered,) = notice.args["blocks"][-1]["elements"]
        assert (offered["action_id"], offered["value"]) == (ids.REMOVE_COPY, str(request_id))


def _the_removal_is_told_and_counted_done(slack) -> None:
    posted = slack.standin.calls_to("chat.postMessage")
    thread = [str(c.args["text"]) for c in posted if c.args.get("thread_ts")]
    assert any("approved removing `restore-001234`" in t for t in thread)
    assert any("is removed" in t for t in thread)
    cards = [c for c in slack.standin.calls_to("chat.update") if c.args["channel"] == "COPS"]
    last_card = json.dumps(cards[-1].args["blocks"])
    assert "copy removed" in last_card and ids.REMOVE_COPY not in last_card
    room = [c for c in slack.standin.calls if c.args.get("channel") == "CINCIDENT"]
    boards = [c for c in room if "Datastore copies" in str(c.args.get("text"))]
    assert boards[-1].args["text"] == "Datastore copies: 0 active, 1 done, 0 failed"  # a removed copy is done


def test_an_approver_removes_the_copy_and_the_removal_is_tracked(timed_bot, simulator, slack, clock):
    bot = timed_bot
    request_id = finished_request(bot, simulator, clock)
    _the_completion_offers_remove_copy(slack, request_id)
    copies = simulator.sim.inventory["pcc-192-0-2-50"]["datacenters"][1515]["filers"]
    assert any(f["name"] == "restore-001234" for f in copies.values())

    bot.click(ids.REMOVE_COPY, str(request_id), user="UMALLORY")
    bot.click(ids.REMOVE_COPY, str(request_id), user="UBOB")
    bot.settle()
    bot.click(ids.REMOVE_COPY, str(request_id), user="UCAROL")
    bot.settle()
    assert any("only the approvers listed" in r for r in bot.replies())
    assert any(f"request #{request_id} is removing" in r for r in bot.replies())
    assert len(simulator.sim.calls_to("POST", REMOVE)) == 1
    assert bot.runtime.repo.requests.get(request_id).state == State.REMOVING

    simulator.sim.advance(3600)
    clock.advance(hours=1)
    bot.runtime.service.poll_once()
    assert bot.runtime.repo.requests.get(request_id).state == State.REMOVED
    assert not any(f["name"] == "restore-001234" for f in copies.values())
    _the_removal_is_told_and_counted_done(slack)


def test_remove_copy_acts_on_the_datastore_recorded_at_completion_not_on_a_name(timed_bot, simulator, clock):
    """Two datastores called `restore-001234` (an older copy, or one mounted by hand): Remove copy
    removes the one this request's copy mounted, recorded by id when it completed."""
    bot = timed_bot
    request_id = finished_request(bot, simulator, clock)
    copies = simulator.sim.inventory["pcc-192-0-2-50"]["datacenters"][1515]["filers"]
    (mounted,) = [i for i, f in copies.items() if f["name"] == "restore-001234"]
    assert bot.runtime.repo.requests.get(request_id).copy_filer_id == mounted
    older = {**copies[mounted], "filerId": 700001}
    reordered = {700001: older, **copies}  # listed first: a pick by name would take it
    copies.clear()
    copies.update(reordered)
    bot.click(ids.REMOVE_COPY, str(request_id), user="UBOB")
    bot.settle()
    (removal,) = simulator.sim.calls_to("POST", REMOVE)
    assert f"/filer/{mounted}/remove" in removal.path and 700001 in copies


def test_a_copy_not_recorded_at_completion_is_never_picked_among_two_of_its_name(timed_bot, simulator, clock):
    """A copy completed before its id was recorded (an earlier release): found by name only when the
    name is unique there; two of that name, Remove copy says so and sends nothing."""
    bot = timed_bot
    request_id = finished_request(bot, simulator, clock)
    bot.runtime.repo.requests.update_fields(request_id, {"copy_filer_id": None}, clock.now())
    copies = simulator.sim.inventory["pcc-192-0-2-50"]["datacenters"][1515]["filers"]
    (mounted,) = [i for i, f in copies.items() if f["name"] == "restore-001234"]
    copies[700001] = {**copies[mounted], "filerId": 700001}
    bot.click(ids.REMOVE_COPY, str(request_id), user="UBOB")
    bot.settle()
    assert "2 datastores are called restore-001234" in bot.replies()[-1]
    assert "cannot tell which one is its copy" in bot.replies()[-1]
    assert simulator.sim.calls_to("POST", REMOVE) == []
    assert bot.runtime.repo.requests.get(request_id).state == State.DONE
