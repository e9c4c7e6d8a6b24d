"""Errors reach people as ephemeral text: domain errors as written, anything else as an error id.

Two entry points share ``tell``: the ``@app.error`` handler, and the ``reported`` decorator on every
listener. The decorator exists because of a race in Bolt 1.30 (`slack_bolt/listener/thread_runner.py`):
when a listener raises after ``ack()``, Bolt resets ``ack.response`` to None before its dispatch loop
(polling every 10 ms) has read it, so a fast refusal turns into "didn't call ack()" and an HTTP 404
or an unanswered Socket Mode envelope. Catching inside the listener keeps the ack.
"""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond

from bot import logs
from bot.domain import PccBotError

log = logging.getLogger(__name__)


def tell(error: Exception, respond: Respond | None) -> None:
    if isinstance(error, PccBotError):
        log.info("refused: %s", error)
        text = f":warning: {error}"
    else:
        error_id = uuid.uuid4().hex[:8]
        log.error("unexpected error %s", error_id, exc_info=error)
        text = (
            f":boom: pcc-bot hit an unexpected error (error id {error_id}). "
            "Check the request's card or `/pcc status` before trying again."
        )
    if respond is not None:
        respond(text=text, response_type="ephemeral", replace_original=False)


def _user_of(kwargs: dict[str, Any]) -> str | None:
    payload = kwargs.get("body") or kwargs.get("command") or {}
    user = payload.get("user_id") or (payload.get("user") or {}).get("id")
    return str(user) if user else None


def reported(listener: Callable[..., None]) -> Callable[..., None]:
    """Decorate a listener that takes ``respond``: whatever it raises after ack() is told to the user."""
    if "respond" not in inspect.signature(listener).parameters:
        raise TypeError(f"{listener.__name__} must take `respond` to report its errors")

    @functools.wraps(listener)
    def wrapper(**kwargs: Any) -> None:
        with logs.context(user=_user_of(kwargs)):
            try:
                listener(**kwargs)
            except Exception as error:  # noqa: BLE001 - the one place that turns any failure into a reply
                tell(error, kwargs.get("respond"))

    return wrapper


def register(app: App) -> None:
    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
        tell(error, respond if body.get("response_url") else None)
