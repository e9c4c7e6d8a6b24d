"""Slack listeners: ack, parse into plain values, call one service function, render."""

from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import App, BoltContext

from bot.usecases.service import PccService
from handlers import actions, channels, commands, errors, form, home
from handlers.wiring import KEY, Wiring


def register(
    app: App,
    service: PccService,
    work: Executor,
    decisions: Executor,
    allowed_channels: frozenset[str] = frozenset(),
) -> None:
    """Every listener module registers itself; ``work`` runs what commands do after their ack,
    ``decisions`` runs the clicks, so that a decision never waits behind people's reads (listeners
    reach both, and the use cases, through handlers/wiring.py)."""
    app.middleware(provide(service, work, decisions))
    errors.register(app)
    channels.register(app, allowed_channels)
    for module in (commands, actions, home, form):
        module.register(app)


def provide(service: PccService, work: Executor, decisions: Executor) -> Callable[..., None]:
    """A global middleware that hands every listener what it needs, as one typed value on Bolt's
    context (handlers/wiring.py): the use cases, the pool for commands, the pool for clicks."""
    handed = Wiring(service=service, commands=work, clicks=decisions)

    def provide_dependencies(context: BoltContext, next: Callable[[], None]) -> None:
        context[KEY] = handed
        next()

    return provide_dependencies
