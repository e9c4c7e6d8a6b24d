"""PCC_ALLOWED_CHANNELS: a command typed outside the listed channels is told the bot is not enabled
there. Only commands are gated: buttons on the bot's own messages (cards, notices, the incident room's)
work wherever the bot posted them, and the form belongs to the command that opened it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse

from bot.support.i18n import _
from handlers.wiring import wiring


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return str(channel) if channel else None


def gated(body: dict[str, Any], allowed: frozenset[str]) -> str | None:
    """The channel a command was typed in, when the gate refuses it; None when it passes."""
    if not allowed or not body.get("command"):
        return None
    channel = channel_of(body)
    return channel if channel is not None and channel not in allowed else None


def register(app: App, allowed: frozenset[str]) -> None:
    if not allowed:
        return  # empty: any channel

    @app.middleware
    def only_in_allowed_channels(
        body: dict[str, Any], ack: Ack, context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        channel = gated(body, allowed)
        if channel is None:
            next()
            return None
        said = _(
            "pcc-bot is not enabled in this channel ({channel}); ask an admin for PCC_ALLOWED_CHANNELS.",
            channel=f"<#{channel}>",
        )
        return ack(said.render(wiring(context).locale_known(body.get("user_id"))))  # within Slack's 3 s
