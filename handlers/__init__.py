"""Slack listeners: ack, parse into plain values, call one service function, render."""

from slack_bolt import App

from bot.service import PccService
from handlers import actions, channels, commands, errors


def register(app: App, service: PccService, allowed_channels: frozenset[str] = frozenset()) -> None:
    errors.register(app)
    channels.register(app, allowed_channels)
    commands.register(app, service)
    actions.register(app, service)
