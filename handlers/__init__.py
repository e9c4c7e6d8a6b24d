"""Slack listeners: ack, parse into plain values, call one service function, render."""

from concurrent.futures import Executor

from slack_bolt import App

from bot.usecases.service import PccService
from handlers import actions, channels, commands, errors, form, home


def register(
    app: App,
    service: PccService,
    work: Executor,
    decisions: Executor,
    allowed_channels: frozenset[str] = frozenset(),
) -> None:
    """``work`` runs what commands do after their ack (see handlers.errors.after_ack); ``decisions``
    runs the clicks, so that a decision never waits behind people's reads."""
    errors.register(app)
    channels.register(app, allowed_channels)
    commands.register(app, service, work)
    actions.register(app, service, decisions)
    home.register(app, service)
    form.register(app, service, work)
