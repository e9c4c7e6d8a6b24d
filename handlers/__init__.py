"""Slack listeners: ack, parse into plain values, call one service function, render."""

from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import App, BoltContext

from bot.usecases.service import PccService
from handlers import actions, channels, commands, errors, form, home


def register(
    app: App,
    service: PccService,
    work: Executor,
    decisions: Executor,
    allowed_channels: frozenset[str] = frozenset(),
) -> None:
    """Every listener module registers itself; ``work`` runs what commands do after their ack (see
    handlers/errors.py: later), ``decisions`` runs the clicks, so that a decision never waits behind
    people's reads."""
    app.middleware(provide(service, work, decisions))
    errors.register(app)
    channels.register(app, allowed_channels)
    for module in (commands, actions, home, form):
        module.register(app)


def provide(service: PccService, work: Executor, decisions: Executor) -> Callable[..., None]:
    """A global middleware that hands every listener what it needs through Bolt's context: the use
    cases, the pool for reads, the pool for decisions."""

    def provide_dependencies(context: BoltContext, next: Callable[[], None]) -> None:
        context["service"], context["work"], context["decisions"] = service, work, decisions
        next()

    return provide_dependencies
