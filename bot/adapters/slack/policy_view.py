"""`/pcc policy`: the rules in force, one section per line, within Slack's limits (3,000 characters a
section, 50 blocks). Pure."""

from __future__ import annotations

from bot.adapters.slack.kit import Message, section

SECTION_MAX = 3000
BLOCKS_MAX = 50


def policy_message(text: str) -> Message:
    lines = [line[:SECTION_MAX] for line in text.splitlines() if line.strip()]
    if len(lines) > BLOCKS_MAX:
        more = len(lines) - BLOCKS_MAX + 1
        lines = [*lines[: BLOCKS_MAX - 1], f"…and {more} more line(s): see the policy file (PCC_POLICY)"]
    return text[:3000], [section(line) for line in lines]
