"""Slack listeners: ack, parse into plain values, call one service function, render."""

from collections.abc import Callable

from slack_bolt import App, BoltContext

from handlers import actions, channels, commands, errors, form, home, reasons
from handlers.wiring import KEY, Wiring


def register(app: App, handed: Wiring, allowed_channels: frozenset[str] = frozenset()) -> None:
    """Every listener module registers itself; each listener is handed the use cases and the pools its
    work runs on after the ack (handlers/wiring.py)."""
    app.middleware(provide(handed))
    errors.register(app)
    channels.register(app, allowed_channels)
    for module in (commands, actions, home, form, reasons):
        module.register(app)


def provide(handed: Wiring) -> Callable[..., None]:
    """A global middleware that puts what every listener is handed on Bolt's context, as one typed
    value."""

    def provide_dependencies(context: BoltContext, next: Callable[[], None]) -> None:
        context[KEY] = handed
        next()

    return provide_dependencies
