"""Block Kit primitives: sections that never exceed Slack's limits, one button builder, formats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.adapters.slack.dates import date_token
from bot.support import i18n

Block = dict[str, Any]
Message = tuple[str, list[Block]]

# Slack's limits, in one place (../docs: "Messages that fit"). Slack refuses a section text over 3,000
# characters, a message over 50 blocks, and (undocumented, reported near 13,200) a message whose blocks
# carry too much text in total: `msg_blocks_too_long`. Every card and board is fitted under these.
MAX_TEXT = 2900
MAX_BLOCKS = 50
MAX_MESSAGE_TEXT = 12_000


def when(moment: datetime | None) -> str:
    """A moment on a card, a board or a notice: Slack's date token (each reader's own time zone and
    language), its UTC text the fallback; "-" for none."""
    return date_token(moment) if moment else "-"


def clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def mrkdwn(text: str) -> Block:
    """Markup as written: ``verbatim`` keeps Slack from turning bare URLs, channel names and @here in
    data into links or mentions; our own links and mentions use the explicit `<…>` syntax."""
    return {"type": "mrkdwn", "text": clip(text), "verbatim": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def text_message(text: str) -> Message:
    return text, [section(text)]


def button(
    action_id: str,
    label: str,
    value: str,
    *,
    confirm: tuple[str, str] | None = None,
    style: str | None = None,
    back: str = "Back",
) -> Block:
    """The one button builder: its value carries the ids the listener re-reads; ``confirm`` is the
    dialog's (title, text), Slack capping the text at 300 characters."""
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label[:75]},
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = {
            "title": {"type": "plain_text", "text": confirm[0][:100]},
            "text": {**mrkdwn(confirm[1][:300])},
            "confirm": {"type": "plain_text", "text": label[:30]},
            "deny": {"type": "plain_text", "text": back[:30]},
        }
    return element


def actions(block_id: str, *elements: Block) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def packed(lines: list[str]) -> list[Block]:
    """Lines packed into as few sections as Slack's 3,000 characters allow, never cutting a line."""
    sections: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > MAX_TEXT:
            sections.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        sections.append(section("\n".join(chunk)))
    return sections


def duration(span: timedelta, locale: str = i18n.DEFAULT_LOCALE) -> str:
    """Hours and minutes in the locale's short units (``1 hr 20 min`` / ``1 h 20 min``)."""
    return i18n.duration(span, locale)


def size_of(value: str) -> str:
    if not value.isdigit():
        return value
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if amount < 1024 or unit == "TB":
            return f"{amount:,.0f} {unit}" if unit == "B" else f"{amount:,.1f} {unit}"
        amount /= 1024
    return value


#: A progress bar's width in blocks: fits a phone's line next to a datastore's name.
BAR_WIDTH = 10


def bar(fraction: float) -> str:
    """A fixed-width bar of Unicode blocks (full, and a light shade for what is left), with eighths
    for the last filled block: readable in Slack on desktop and mobile, in any font."""
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * BAR_WIDTH * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part else ""
    return ("█" * full + partial).ljust(BAR_WIDTH, "░")[:BAR_WIDTH]


def gb(value: float | None) -> str:
    return "?" if value is None else f"{value:,.0f} GB"


def size(text: str) -> int:
    """Characters as Slack's clients count them (UTF-16 code units): an accented letter is one, an
    emoji outside the Basic Multilingual Plane two; never bytes, never an ASCII assumption."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2  # a lone surrogate (from JSON) counts one


def text_size(node: object) -> int:
    """The block text a message carries: every ``text`` string in it, plain or mrkdwn, buttons and
    confirm dialogs included (more than Slack may count: a margin, not a shortfall)."""
    if isinstance(node, list):
        return sum(text_size(item) for item in node)
    if not isinstance(node, dict):
        return 0
    own = size(node["text"]) if isinstance(node.get("text"), str) else 0
    return own + sum(text_size(v) for k, v in node.items() if not (k == "text" and isinstance(v, str)))


class _Room:
    """What is left of a message's limits while it is filled."""

    def __init__(self, blocks: int, text: int) -> None:
        self.blocks, self.text = blocks, text

    def take(self, block: Block) -> bool:
        cost = text_size(block)
        if self.blocks < 1 or cost > self.text:
            return False
        self.blocks, self.text = self.blocks - 1, self.text - cost
        return True


def _pack(groups: Sequence[tuple[str, Sequence[str]]], room: _Room) -> tuple[list[Block], int]:
    """As many lines as fit, in order, each group under its title (a title only with a line after it);
    sections of at most MAX_TEXT characters. Returns the sections and how many lines they show."""
    chunks: list[list[str]] = []
    shown = 0
    for title, lines in groups:
        for n, line in enumerate(lines):
            add = [title, clip(line)] if n == 0 and title else [clip(line)]
            cost = size("\n".join(add))
            chunk = chunks[-1] if chunks else None
            if chunk is not None and size("\n".join(chunk)) + 1 + cost <= MAX_TEXT and cost + 1 <= room.text:
                chunk.extend(add)
                room.text -= cost + 1
            elif room.blocks >= 1 and cost <= room.text:
                chunks.append(add)
                room.blocks, room.text = room.blocks - 1, room.text - cost
            else:
                return [section("\n".join(c)) for c in chunks], shown
            shown += 1
    return [section("\n".join(c)) for c in chunks], shown


def fitted(
    head: Sequence[Block],
    groups: Sequence[tuple[str, Sequence[str]]],
    tail: Sequence[Block],
    more: Callable[[int], str],
) -> list[Block]:
    """The one rule that fits a message to Slack's limits, whatever its size: ``head`` (what the
    message is), then ``tail`` (its buttons, in order of importance) keep their place first; then as
    many of the groups' lines as fit, in order (callers put what needs a person first); the lines left
    out are never cut silently: ``more(n)`` says how many and where they are. Under MAX_BLOCKS blocks
    and MAX_MESSAGE_TEXT characters of block text (``text_size``). Pure."""
    total = sum(len(lines) for _, lines in groups)
    note = context(more(total))
    room = _Room(MAX_BLOCKS - 1, MAX_MESSAGE_TEXT - text_size(note))  # the note's place, kept
    kept_head = [b for b in head if room.take(b)]
    kept_tail = [b for b in tail if room.take(b)]
    lines, shown = _pack(groups, room)
    notes = [context(more(total - shown))] if shown < total else []
    return [*kept_head, *lines, *notes, *kept_tail]
