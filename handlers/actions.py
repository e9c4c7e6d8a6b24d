"""The Approve and Reject buttons of a request's card."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import ids
from bot.commands import parse_request_id, parse_user
from bot.service import PccService
from handlers.errors import after_ack


def register(app: App, service: PccService, work: Executor) -> None:
    @app.action(ids.APPROVE)
    @after_ack(work)
    def on_approve(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        service.approve(parse_request_id(action.get("value")), parse_user(body))

    @app.action(ids.RETRY)
    @after_ack(work)
    def on_retry(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        service.retry(parse_request_id(action.get("value")), parse_user(body))

    @app.action(ids.REMOVE_COPY)
    @after_ack(work)
    def on_remove_copy(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        service.remove_copy(parse_request_id(action.get("value")), parse_user(body))

    @app.action(ids.REJECT)
    @after_ack(work)
    def on_reject(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        service.reject(parse_request_id(action.get("value")), parse_user(body))
