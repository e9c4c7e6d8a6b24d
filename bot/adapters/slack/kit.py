"""Block Kit primitives: sections that never exceed Slack's limits, one button builder, formats."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

Block = dict[str, Any]
Message = tuple[str, list[Block]]

# Slack refuses a section text over 3,000 characters and a message over 50 blocks.
MAX_TEXT = 2900
MAX_BLOCKS = 50


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"


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
            "deny": {"type": "plain_text", "text": "Back"},
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


def duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


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
