"""The buttons of cards and notices: each carries a request id (the buttons that settle a call in
doubt: also the call they are about, and Adopt a task id) and calls one decision for the person who
clicked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.adapters.slack import ids
from bot.adapters.slack.grammar import parse_doubt_value, parse_request_id, parse_user
from bot.domain import MigrationRequest
from bot.usecases.decisions import Decisions
from bot.usecases.plans import Plans
from bot.usecases.service import PccService
from handlers.errors import later, user_of

#: Each single-request button and the decision it asks for.
DECISIONS: dict[str, Callable[[Decisions, int, str], MigrationRequest]] = {
    ids.APPROVE: Decisions.approve,
    ids.REJECT: Decisions.reject,
    ids.RETRY: Decisions.retry,
    ids.REMOVE_COPY: Decisions.remove_copy,
}


def on_click(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """A decision button: acked at once, decided on the decisions pool (never behind listings); the
    card shows the outcome, a refusal is told to the clicker."""
    ack()
    service: PccService = context["service"]
    decide = DECISIONS[str(action.get("action_id"))]

    def run() -> None:
        decide(service.decisions, parse_request_id(action.get("value")), parse_user(body))

    later(context["decisions"], respond, user_of(body), run)


def on_settle(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """Adopt task N, or Close: not started, on a call in doubt: the button carries the request id, the
    call it is about and (Adopt) the candidate task id."""
    ack()
    service: PccService = context["service"]

    def run() -> None:
        request_id, episode, task_id = parse_doubt_value(action.get("value"))
        user = parse_user(body)
        if task_id is None:
            service.decisions.close_not_started(request_id, user, episode)
        else:
            service.decisions.adopt(request_id, task_id, user, episode)

    later(context["decisions"], respond, user_of(body), run)


#: Each button of a plan's board and the decision it asks for (Cancel the rest answers how many).
PLAN_DECISIONS: dict[str, Callable[[Plans, int, str], object]] = {
    ids.APPROVE_PLAN: Plans.approve,
    ids.REJECT_PLAN: Plans.reject,
    ids.CANCEL_PLAN_REST: Plans.cancel_rest,
}


def on_plan_click(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """A plan's button: acked at once, decided on the decisions pool; the board shows the outcome."""
    ack()
    service: PccService = context["service"]
    decide = PLAN_DECISIONS[str(action.get("action_id"))]

    def run() -> None:
        decide(service.plans, parse_request_id(action.get("value")), parse_user(body))

    later(context["decisions"], respond, user_of(body), run)


def register(app: App) -> None:
    for action_id in DECISIONS:
        app.action(action_id)(on_click)
    for action_id in PLAN_DECISIONS:
        app.action(action_id)(on_plan_click)
    app.action(ids.ADOPT)(on_settle)
    app.action(ids.CLOSE_NOT_STARTED)(on_settle)
