"""Slack's date token, pure text: each reader sees the moment in their own time zone and language; the
UTC text is its fallback (notifications, old clients, the console, exports). Below every ring, so the
notices' texts (bot/usecases/messages.py) and the cards (bot/adapters/slack) write moments alike."""

from __future__ import annotations

from datetime import UTC, datetime

#: How Slack shows a moment: "today 15:40", "Feb 18, 2027 06:39" (the reader's language and clock).
MOMENT = "{date_short_pretty} {time}"


def utc(moment: datetime) -> datetime:
    """The project's moments are aware (UTC); a naive one is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_text(moment: datetime) -> str:
    """The fallback: the moment in UTC, ISO-like (``2027-02-18 06:39 UTC``)."""
    return f"{utc(moment):%Y-%m-%d %H:%M} UTC"


def date_token(moment: datetime, shown: str = MOMENT) -> str:
    """``<!date^unix^{date_short_pretty} {time}|2027-02-18 06:39 UTC>``: for mrkdwn text (Slack renders no
    token in plain_text: buttons, headers, modal titles use ``utc_text``)."""
    return f"<!date^{int(utc(moment).timestamp())}^{shown}|{utc_text(moment)}>"
