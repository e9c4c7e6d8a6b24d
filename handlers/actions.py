"""The buttons of cards, notices and plan boards: each carries a request's id (a plan's button: the
plan's; the buttons that settle a call in doubt: also the call they are about, and Adopt a task id)
and calls one decision for the person who clicked. What each button asks first, under a policy, is
its line of ``ids.CLICKS``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.adapters.slack import ids
from bot.adapters.slack.button_values import parse_doubt_value, parse_request_id
from bot.adapters.slack.grammar import parse_trigger, parse_user
from bot.adapters.slack.reason_form import Asked, reason_modal
from bot.domain import Operation
from bot.domain.operations import behaviour_of
from bot.domain.policy import Verdict
from bot.support.i18n import Text, _
from bot.usecases.service import PccService
from handlers.errors import user_of
from handlers.wiring import wiring

Decide = Callable[[PccService, int, str], object]


def _call(operation: Operation) -> Decide:
    """An operation's button: its call on the request (``Decisions.decide``)."""
    return lambda service, key, user: service.decisions.decide(key, operation, user)


#: Each button whose value is one id (a request's, or a plan's) and the decision it asks for.
DECISIONS: dict[str, Decide] = {
    ids.APPROVE: lambda service, key, user: service.decisions.approve(key, user),
    ids.REJECT: lambda service, key, user: service.decisions.reject(key, user),
    **{action: _call(operation) for action, operation in ids.CALL_BUTTONS.items()},
    ids.APPROVE_PLAN: lambda service, key, user: service.plans.approve(key, user),
    ids.REJECT_PLAN: lambda service, key, user: service.plans.reject(key, user),
    ids.CANCEL_PLAN_REST: lambda service, key, user: service.plans.cancel_rest(key, user),
}


def _what(action_id: str, key: int) -> Text:
    """The decision a modal asks about, as its heading says it (an operation's: its own)."""
    if action_id in ids.CALL_BUTTONS:
        return behaviour_of(ids.CALL_BUTTONS[action_id]).heading(key)
    return {
        ids.APPROVE: _("Approve request #{id}", id=key),
        ids.REJECT: _("Reject request #{id}", id=key),
        ids.APPROVE_PLAN: _("Approve plan #{id}", id=key),
        ids.REJECT_PLAN: _("Reject plan #{id}", id=key),
    }[action_id]


def _asks_first(service: PccService, action_id: str, key: int) -> tuple[bool, str | None] | None:
    """Under an approval policy, what the click asks in a modal before it decides (reasons.py gets
    the answer); None: it decides at once. ``key``: the plan's id for a plan's button."""
    asks, of_plan = ids.CLICKS[action_id].asks, ids.CLICKS[action_id].of_plan
    if asks is None:
        return None
    if of_plan:
        assert isinstance(asks, Verdict)  # a plan's buttons ask only a verdict's reason
        return service.plans.asks_first(key, asks)
    return service.approvals.asks_first(key, asks)


def on_click(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
) -> None:
    """A decision button: acked at once, decided on the decisions pool (never behind listings); the
    card (or the plan's board) shows the outcome, a refusal is told to the clicker. Under a policy that
    asks a reason (or Remove copy's name typed again), a modal opens instead and decides on submit."""
    ack()
    service = wiring(context).service
    action_id = str(action.get("action_id"))
    decide = DECISIONS[action_id]

    def run() -> None:
        key = parse_request_id(action.get("value"))  # a request's id, or a plan's for a plan's button
        asked = _asks_first(service, action_id, key)
        if asked is None:
            decide(service, key, parse_user(body))
            return
        required, expected = asked
        carried = Asked(action_id, key, body.get("response_url"), expected)
        locale = wiring(context).locale_of(user_of(body))
        what = _what(action_id, key).render(locale)
        modal = reason_modal(carried, required=required, what=what, locale=locale)
        client.views_open(trigger_id=parse_trigger(body), view=modal)

    wiring(context).after_click(respond, user_of(body), run)


def on_settle(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """Adopt task N, or Close: not started, on a call in doubt: the button carries the request id, the
    call it is about and (Adopt) the candidate task id."""
    ack()
    service = wiring(context).service

    def run() -> None:
        request_id, episode, task_id = parse_doubt_value(action.get("value"))
        user = parse_user(body)
        if task_id is None:
            service.decisions.close_not_started(request_id, user, episode)
        else:
            service.decisions.adopt(request_id, task_id, user, episode)

    wiring(context).after_click(respond, user_of(body), run)


def register(app: App) -> None:
    for action_id in DECISIONS:
        app.action(action_id)(on_click)
    app.action(ids.ADOPT)(on_settle)
    app.action(ids.CLOSE_NOT_STARTED)(on_settle)
