"""Slack mrkdwn hygiene: every string that did not come from our own templates goes through ``esc``.

Slack reads `<…>` as a link, a mention or a broadcast (`<!channel>`, `<@U123>`), and `&` starts an
entity; escaping these three characters is what Slack asks of text that is not meant as markup. Emoji,
right-to-left text and other characters pass unchanged. Pure: no I/O.
"""

from __future__ import annotations

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def esc(value: object) -> str:
    """``value`` as literal text in mrkdwn: no link, mention or broadcast can come out of it."""
    return str(value).translate(_ESCAPES)
