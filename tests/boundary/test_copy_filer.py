"""The second API generation (PCC_MIGRATION_API=copyFiler): consent on the card, the click recorded as
acceptance, `accept: true` in the body, and progress with bytes from copyFilerStatus."""

import json
from dataclasses import replace

import pytest

from bot.adapters.slack import ids
from bot.domain import COPY_FILER_CONSENT
from tests.helpers import file_request, start_bot, stop_bot

ROUTE = r"/copyFiler$"


@pytest.fixture
def copy_bot(config, slack):
    running = start_bot(replace(config, migration_api="copyFiler"), slack)
    yield running
    stop_bot(running)


def test_the_card_quotes_the_consent_and_the_click_is_the_acceptance(copy_bot, simulator, slack):
    request_id = file_request(copy_bot)
    card = slack.standin.calls_to("chat.postMessage")[0].args
    text = json.dumps(card["blocks"])
    assert json.dumps(COPY_FILER_CONSENT)[1:-1] in text  # verbatim, typos included
    assert "intermerdiary" in text
    approve = card["blocks"][-1]["elements"][0]
    assert "recorded as the acceptance" in approve["confirm"]["text"]["text"]
    assert len(approve["confirm"]["text"]["text"]) <= 300
    copy_bot.click(ids.APPROVE, str(request_id), user="UBOB")
    copy_bot.settle()
    (post,) = simulator.sim.calls_to("POST", ROUTE)
    assert json.loads(post.body) == {"filerId": 1234, "accept": True}
    approved = [h for h in copy_bot.runtime.repo.audit.history(request_id) if h.action == "approved"]
    assert approved[0].actor == "UBOB" and "accepted the copyFiler conditions" in approved[0].detail


def test_progress_and_bytes_come_from_copy_filer_status(copy_bot, simulator, slack):
    request_id = file_request(copy_bot)
    copy_bot.click(ids.APPROVE, str(request_id), user="UBOB")
    copy_bot.settle()
    simulator.sim.advance(2 * 3600)  # half way
    copy_bot.runtime.service.poll_once()
    request = copy_bot.runtime.repo.requests.get(request_id)
    assert request.progress == 50 and request.transferred == str(50 * 10**9)
    assert simulator.sim.calls_to("GET", r"/copyFilerStatus$")
    status = json.dumps(slack.standin.calls_to("chat.update")[-1].args["blocks"], ensure_ascii=False)
    assert "running (`doing`) · `█████░░░░░` 50%" in status and "46.6 GB copied" in status
