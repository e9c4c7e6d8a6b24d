"""The modal a decision opens under the approval policy (a reason, or Remove copy's name typed again):
its submission decides, as the click would have, with what was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot.adapters.slack import ids
from bot.adapters.slack.grammar import parse_user
from bot.adapters.slack.reason_form import parse_reason_view
from bot.domain import Operation
from bot.domain.operations import behaviour_of
from bot.support.i18n import _
from bot.usecases.service import PccService
from handlers.errors import user_of
from handlers.wiring import wiring

Decide = Callable[[PccService, int, str, str], object]


def _call(operation: Operation) -> Decide:
    """An operation's button whose click asked for the copy's name typed again (its step-up)."""
    return lambda service, key, user, typed: service.decisions.decide(key, operation, user, typed)


DECISIONS: dict[str, Decide] = {
    ids.APPROVE: lambda service, key, user, typed: service.decisions.approve(key, user, typed),
    ids.REJECT: lambda service, key, user, typed: service.decisions.reject(key, user, typed),
    **{
        action: _call(operation)
        for action, operation in ids.CALL_BUTTONS.items()
        if behaviour_of(operation).step_up
    },
    ids.APPROVE_PLAN: lambda service, key, user, typed: service.plans.approve(key, user, typed),
    ids.REJECT_PLAN: lambda service, key, user, typed: service.plans.reject(key, user, typed),
}


def on_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    """Slack checks a required field is not empty; a name typed wrong is shown on the field. Then the
    modal closes and the decision runs on the decisions pool, refusals told where the click was."""
    asked, typed = parse_reason_view(view)
    service = wiring(context).service
    if asked.expected is not None:  # Remove copy: the name, read again (one row, well within Slack's 3 s)
        expected = service.approvals.step_up_name(asked.request_id)
        if typed != expected:
            said = _("Type {name} exactly", name=expected).render(wiring(context).locale_of(user_of(body)))
            ack(response_action="errors", errors={ids.REASON_INPUT: said[:150]})
            return
    ack()
    decide = DECISIONS.get(asked.action_id)
    if decide is None:
        return
    respond = Respond(response_url=asked.response_url) if asked.response_url else None

    def run() -> None:
        decide(service, asked.request_id, parse_user(body), typed)

    wiring(context).after_click(respond, user_of(body), run)


def register(app: App) -> None:
    app.view(ids.REASON_FORM)(on_reason)
