"""Times in each reader's own time zone: Slack's date token, with the UTC text as its fallback (shown
where Slack cannot render it: notifications, old clients, the console, exports). Pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.support.i18n import _, duration

#: How Slack shows a moment: "today 15:40", "Feb 18, 2027 06:39" (the reader's language and clock).
MOMENT = "{date_short_pretty} {time}"
_TOKEN = re.compile(r"<!date\^[0-9]+\^[^|>]*\|([^|>]*)>")


def utc_text(moment: datetime) -> str:
    """The fallback: the moment in UTC, ISO-like (``2027-02-18 06:39 UTC``)."""
    return f"{_utc(moment):%Y-%m-%d %H:%M} UTC"


def date_token(moment: datetime, shown: str = MOMENT) -> str:
    """``<!date^unix^{date_short_pretty} {time}|2027-02-18 06:39 UTC>``: for mrkdwn text (Slack renders no
    token in plain_text: buttons, headers, modal titles use ``utc_text``)."""
    return f"<!date^{int(_utc(moment).timestamp())}^{shown}|{utc_text(moment)}>"


def expected_end(end: datetime, left: timedelta, locale: str) -> str:
    """ "ends around <today 15:40> (about 1 h 20 min left)", in ``locale``, the end as a date token."""
    remaining = _("about {duration} left", duration=duration(left, locale))
    return _("ends around {moment} ({left})", moment=date_token(end), left=remaining).render(locale)


def fallbacks(text: str) -> str:
    """``text`` with each date token replaced by its fallback: what the console shows."""
    return _TOKEN.sub(lambda m: m.group(1), text)


def _utc(moment: datetime) -> datetime:
    """The project's moments are aware (UTC); a naive one is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
