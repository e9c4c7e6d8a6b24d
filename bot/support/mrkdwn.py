"""Slack mrkdwn hygiene: every string that did not come from our own templates goes through ``esc``.

Slack reads `<…>` as a link, a mention or a broadcast (`<!channel>`, `<@U123>`), and `&` starts an
entity; escaping these three characters is what Slack asks of text that is not meant as markup. A
backtick opens or closes a code span and mrkdwn has no escape for it: in data it is shown as U+02CB
(a look-alike, the modifier letter grave accent), so that a name in a code span stays in it. The
directional overrides and isolates (which can make `ssd-001234` display as another name) are shown
as U+FFFD instead. Emoji, right-to-left text and other characters pass unchanged. Pure: no I/O.
"""

from __future__ import annotations

_BIDI_CONTROLS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_MARKUP = {"&": "&amp;", "<": "&lt;", ">": "&gt;", **{chr(c): "\ufffd" for c in _BIDI_CONTROLS}}
_ESCAPES = str.maketrans({**_MARKUP, "`": "\u02cb"})
_MESSAGE_ESCAPES = str.maketrans(_MARKUP)


def esc(value: object) -> str:
    """``value`` as literal text in mrkdwn: no link, mention or broadcast can come out of it."""
    return str(value).translate(_ESCAPES)


def esc_message(value: object) -> str:
    """One of pcc-bot's own messages (a refusal) that may quote data: no link, mention or broadcast
    can come out of it; its code spans (around its own words) are kept."""
    return str(value).translate(_MESSAGE_ESCAPES)
