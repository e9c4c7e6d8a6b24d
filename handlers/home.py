"""The App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.adapters.slack import listings
from bot.adapters.slack.grammar import parse_user
from handlers.wiring import wiring


def on_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Events are acked by Bolt itself; the tab is published for the person who opened it, in their
    Slack locale."""
    handed = wiring(context)
    user = parse_user({"user_id": event.get("user")})
    home = handed.service.reading.home(user)
    view = listings.home_view(home.mine, home.to_approve, home.active, home.plans, handed.locale_of(user))
    client.views_publish(user_id=user, view=view)


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
