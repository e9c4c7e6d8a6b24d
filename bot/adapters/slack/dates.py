"""Times in each reader's own time zone: Slack's date token, with the UTC text as its fallback (shown
where Slack cannot render it: notifications, old clients, the console, exports). Pure."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.support.datetoken import MOMENT, date_token, utc_text
from bot.support.i18n import _, duration

__all__ = ["MOMENT", "date_token", "expected_end", "fallbacks", "utc_text"]

_TOKEN = re.compile(r"<!date\^[0-9]+\^[^|>]*\|([^|>]*)>")


def expected_end(end: datetime, left: timedelta, locale: str) -> str:
    """ "ends around <today 15:40> (about 1 h 20 min left)", in ``locale``, the end as a date token."""
    remaining = _("about {duration} left", duration=duration(left, locale))
    return _("ends around {moment} ({left})", moment=date_token(end), left=remaining).render(locale)


def fallbacks(text: str) -> str:
    """``text`` with each date token replaced by its fallback: what the console shows."""
    return _TOKEN.sub(lambda m: m.group(1), text)
