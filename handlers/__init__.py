"""Slack listeners: ack, parse into plain values, call one service function, render."""

from concurrent.futures import Executor

from slack_bolt import App

from bot.service import PccService
from handlers import actions, channels, commands, errors, form, home


def register(
    app: App, service: PccService, work: Executor, allowed_channels: frozenset[str] = frozenset()
) -> None:
    """``work`` runs what listeners do after their ack (see handlers.errors.after_ack)."""
    errors.register(app)
    channels.register(app, allowed_channels)
    commands.register(app, service, work)
    actions.register(app, service, work)
    home.register(app, service)
    form.register(app, service)
