"""The buttons of cards and notices: each carries a request id and calls one use case for the clicker."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.adapters.slack import ids
from bot.adapters.slack.grammar import parse_adopt_value, parse_request_id, parse_user
from bot.domain import MigrationRequest
from bot.usecases.service import PccService
from handlers.errors import after_ack

UseCase = Callable[[int, str], MigrationRequest]


def button(use_case: UseCase) -> Callable[..., None]:
    """A listener for a button: ack, then ``use_case(request id, clicker)``; the card shows the result."""

    def on_click(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        use_case(parse_request_id(action.get("value")), parse_user(body))

    on_click.__name__ = f"on_{getattr(use_case, '__name__', 'click')}"
    return on_click


def adopt_button(service: PccService) -> Callable[..., None]:
    """Adopt task N: the button carries the request id and the candidate task id."""

    def on_adopt(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        request_id, task_id = parse_adopt_value(action.get("value"))
        service.decisions.adopt(request_id, task_id, parse_user(body))

    return on_adopt


def register(app: App, service: PccService, work: Executor) -> None:
    """``work``: the pool for decisions, apart from reads, so a click never queues behind listings."""
    buttons: dict[str, UseCase] = {
        ids.APPROVE: service.decisions.approve,
        ids.REJECT: service.decisions.reject,
        ids.RETRY: service.decisions.retry,
        ids.REMOVE_COPY: service.decisions.remove_copy,
        ids.CLOSE_NOT_STARTED: service.decisions.close_not_started,
    }
    for action_id, use_case in buttons.items():
        app.action(action_id)(after_ack(work)(button(use_case)))
    app.action(ids.ADOPT)(after_ack(work)(adopt_button(service)))
