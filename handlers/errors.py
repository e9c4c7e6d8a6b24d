"""Errors reach people as ephemeral text: domain errors as written, anything else as an error id.

Two entry points share ``tell``: the ``@app.error`` handler, and the ``after_ack`` decorator on every
listener, which catches what the work after the ack raises. Raising from the Bolt listener itself
would hit a race in Bolt 1.30 (`slack_bolt/listener/thread_runner.py`): a listener raising right after
``ack()`` gets ``ack.response`` reset to None before the dispatcher (polling every 10 ms) reads it,
so a fast refusal became "didn't call ack()", an HTTP 404 or an unanswered Socket Mode envelope.
"""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, Respond

from bot.domain import PccBotError
from bot.support import logs, waits
from bot.support.mrkdwn import esc

log = logging.getLogger(__name__)


def tell(error: Exception, respond: Respond | None) -> None:
    if isinstance(error, PccBotError):
        log.info("refused: %s", error)
        text = f":warning: {error.markup or esc(error)}"
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


Listener = Callable[..., None]


def _queued(respond: Respond | None) -> waits.OnWait:
    """What a person is told when their request has to wait for the OVHcloud call budget."""

    told: list[float] = []

    def tell_queued(seconds: float) -> None:
        if respond is not None and not told:  # once per request: Slack allows five answers
            told.append(seconds)
            respond(
                text=f":hourglass: Queued: pcc-bot is within OVHcloud's call budget; your answer comes in "
                f"about {max(1, round(seconds))} s.",
                response_type="ephemeral",
                replace_original=False,
            )

    return tell_queued


def _acked(*_: Any, **__: Any) -> None:
    """What a listener's own ``ack()`` becomes once the wrapper has acknowledged the request."""


def after_ack(work: Executor) -> Callable[[Listener], Listener]:
    """Decorate a listener that takes ``ack`` and ``respond``.

    The wrapper acknowledges at once on Bolt's thread, then runs the listener on ``work``: a slow
    OVHcloud call, or a wait for the call budget, never holds a Bolt thread, so acks stay fast however
    many requests are in flight (Bolt's pool is small and acks wait for a free thread). Whatever the
    listener raises is told to the user, tagged with the Slack user in the logs.
    """

    def decorate(listener: Listener) -> Listener:
        wanted = inspect.signature(listener).parameters
        if "respond" not in wanted or "ack" not in wanted:
            raise TypeError(f"{listener.__name__} must take `ack` and `respond`")

        def run(kwargs: dict[str, Any]) -> None:
            respond = kwargs.get("respond")
            with logs.context(user=_user_of(kwargs)), waits.told_when_queued(_queued(respond)):
                try:
                    listener(**kwargs)
                except Exception as error:  # noqa: BLE001 - the one place that turns failures into replies
                    tell(error, kwargs.get("respond"))

        @functools.wraps(listener)
        def wrapper(**kwargs: Any) -> None:
            kwargs["ack"]()
            work.submit(run, {**kwargs, "ack": _acked})

        return wrapper

    return decorate


def register(app: App) -> None:
    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
        tell(error, respond if body.get("response_url") else None)
