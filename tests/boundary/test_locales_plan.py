"""A plan's story in a French channel (PCC_LOCALE=fr): its card, its list in the thread, its approval,
its board as it moves and its summary in the incident room, with no English left but the names."""

import re
from dataclasses import replace

import pytest

from bot.adapters.slack import ids
from bot.demo.simulator import large_pcc
from tests.boundary.test_locales import DATE_TOKEN, _english_left, _shown
from tests.helpers import CHANNEL, INCIDENT, start_bot, stop_bot

BIG = "pcc-192-0-2-99"


def _plan_texts(slack) -> tuple[list[str], list[str]]:
    """What the channel and the incident room were sent about the plan: posts, then the card's edits."""
    posted = [
        _shown(c)
        for c in slack.standin.calls_to("chat.postMessage")
        if c.args["channel"] in (CHANNEL, INCIDENT)
    ]
    edits = [_shown(c) for c in slack.standin.calls_to("chat.update") if "Plan #" in str(c.args.get("text"))]
    return posted, edits


@pytest.mark.timeout(180)
def test_a_french_channel_reads_a_plan_from_its_card_to_its_summary_in_french(
    config, slack, simulator, clock
):
    simulator.sim.inventory[BIG] = large_pcc(3)
    bot = start_bot(replace(config, locale="fr"), slack, clock=clock)
    try:
        bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
        bot.settle()
        bot.runtime.service.deliver_notices()
        posted, _ = _plan_texts(slack)
        card = next(t for t in posted if re.search(r"Plan #\d+ : datacenter 2001", t))
        assert (
            "en attente d\u2019approbation" in card
            and "Approuver le plan" in card
            and DATE_TOKEN.search(card)
        )
        plan_id = int(re.search(r"Plan #(\d+)", card).group(1))
        bot.click(ids.APPROVE_PLAN, str(plan_id), user="UBOB")
        bot.settle()
        for _ in range(40):  # the dispatch runs in the background; then every copy ends
            simulator.sim.advance(3600)
            clock.advance(minutes=60)
            bot.runtime.service.poll_once()
            if any("terminé" in t and "copié(s)" in t for t in _plan_texts(slack)[0]):
                break
    finally:
        stop_bot(bot)
    posted, edits = _plan_texts(slack)
    listed = next(t for t in posted if "Tous les datastores du plan" in t)
    started = next(t for t in posted if "a approuvé le plan" in t)
    summary = next(t for t in posted if "terminé" in t and "copié(s)" in t)
    assert "3 copié(s), 0 en échec" in summary
    assert edits and "3 sur 3 copiés" in edits[-1] and "terminé" in edits[-1]
    for text in (card, listed, started, summary, edits[-1]):
        assert _english_left(text) == [], text
