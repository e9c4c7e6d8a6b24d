"""PCC_ALLOWED_CHANNELS: outside the listed channels the bot says it is not enabled there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltResponse, Respond


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return str(channel) if channel else None


def register(app: App, allowed: frozenset[str]) -> None:
    if not allowed:
        return  # empty: any channel

    @app.middleware
    def only_in_allowed_channels(
        body: dict[str, Any], ack: Ack, respond: Respond, next: Callable[[], None]
    ) -> BoltResponse | None:
        channel = channel_of(body)
        if channel is None or channel in allowed:
            next()
            return None
        text = (
            f"pcc-bot is not enabled in this channel (<#{channel}>); ask an admin for PCC_ALLOWED_CHANNELS."
        )
        if body.get("command"):
            return ack(text)  # shown to the person who typed the command
        response = ack()
        if body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        return response
