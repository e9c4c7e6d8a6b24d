"""Slack listeners: ack, parse into plain values, call one service function, render."""

from slack_bolt import App

from bot.service import PccService
from handlers import actions, commands, errors


def register(app: App, service: PccService) -> None:
    errors.register(app)
    commands.register(app, service)
    actions.register(app, service)
