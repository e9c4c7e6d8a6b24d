"""A copy's progress on its card, at the process boundary: a bar and its expected end once the task
moved, and no estimate once it stalls (the estimate's arithmetic: tests/unit/test_estimate.py)."""

import json
import re

from bot.adapters.slack import ids
from tests.helpers import file_request


def test_a_card_shows_a_bar_and_its_expected_end_once_the_task_moved(timed_bot, simulator, clock):
    bot = timed_bot
    request_id = file_request(bot)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()

    def card() -> str:
        edits = [c for c in bot.slack.standin.calls_to("chat.update") if "request #" in str(c.args["text"])]
        return json.dumps(edits[-1].args["blocks"], ensure_ascii=False)

    for hours in (1, 1):  # two readings that differ
        simulator.sim.advance(hours * 3600)
        clock.advance(hours=hours)
        bot.runtime.service.poll_once()
    shown = card()
    token = r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>"
    assert re.search(rf"`█{{5}}░{{5}}` 50% · ends around {token} \(about 2 hr left\)", shown), shown
    clock.advance(hours=6)  # no move for six hours: no estimate, the stall warning speaks
    bot.runtime.service.poll_once()
    assert "no estimate: not moving" in card()
