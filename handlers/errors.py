"""Errors reach people as ephemeral text: domain errors as written, anything else as an error id.

Two entry points share ``tell``: the ``@app.error`` handler, and ``later``, which runs what a listener
does after its ack and catches what that raises. Raising from the Bolt listener itself would hit a
race in Bolt 1.30 (`slack_bolt/listener/thread_runner.py`): a listener raising right after
``ack()`` gets ``ack.response`` reset to None before the dispatcher (polling every 10 ms) reads it,
so a fast refusal became "didn't call ack()", an HTTP 404 or an unanswered Socket Mode envelope.
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, Respond

from bot.domain import PccBotError
from bot.support import logs, waits
from bot.support.i18n import DEFAULT_LOCALE, Text, _
from bot.support.mrkdwn import esc_message

log = logging.getLogger(__name__)


def stopping(error: BaseException) -> bool:
    """A pool shut down because the process is stopping refused the work (``ThreadPoolExecutor``'s own
    words): nothing of it ran."""
    return isinstance(error, RuntimeError) and "after shutdown" in str(error)


def tell(error: Exception, respond: Respond | None, locale: str = DEFAULT_LOCALE) -> None:
    """``error`` told to the person, in their ``locale`` when it carries its words untranslated."""
    if stopping(error):
        log.info("refused while stopping: %s", error)
        text = ":hourglass: " + _("pcc-bot is restarting; nothing was sent, try again in a minute.").render(
            locale
        )
    elif isinstance(error, PccBotError):
        log.info("refused: %s", error)
        said = esc_message(error.text.render(locale)) if error.text is not None else None
        markup = error.markup.render(locale) if isinstance(error.markup, Text) else error.markup
        text = f":warning: {markup or said or esc_message(error)}"
    else:
        error_id = uuid.uuid4().hex[:8]
        log.error("unexpected error %s", error_id, exc_info=error)
        text = ":boom: " + _(
            "pcc-bot hit an unexpected error (error id {error_id}). "
            "Check the request's card or `/pcc status` before trying again.",
            error_id=error_id,
        ).render(locale)
    if respond is not None:
        respond(text=text, response_type="ephemeral", replace_original=False)


def _queued(respond: Respond | None, locale: Callable[[], str]) -> waits.OnWait:
    """What a person is told, in their ``locale``, when their request has to wait for the OVHcloud call
    budget."""

    told: list[float] = []

    def tell_queued(seconds: float) -> None:
        if respond is not None and not told:  # once per request: Slack allows five answers
            told.append(seconds)
            said = _(
                "Queued: pcc-bot is within OVHcloud's call budget; your answer comes in about {seconds} s.",
                seconds=max(1, round(seconds)),
            )
            respond(
                text=f":hourglass: {said.render(locale())}",
                response_type="ephemeral",
                replace_original=False,
            )

    return tell_queued


def later(
    pool: Executor,
    respond: Respond | None,
    user: str | None,
    job: Callable[[], None],
    locale_of: Callable[[str | None], str] | None = None,
) -> bool:
    """Run ``job`` on ``pool``, after the listener acked on Bolt's thread: a slow OVHcloud call, or a wait
    for the call budget, never holds a Bolt thread, so acks stay fast however many requests are in
    flight. What ``job`` raises is told to the person, in their locale (``locale_of``); its log lines
    carry the Slack user. False when ``pool`` refused it (the process is stopping: the person is told
    so and that nothing was sent)."""

    def locale() -> str:
        return locale_of(user) if locale_of else DEFAULT_LOCALE

    def run() -> None:
        with logs.context(user=user), waits.told_when_queued(_queued(respond, locale)):
            try:
                job()
            except Exception as error:  # noqa: BLE001 - the one place that turns failures into replies
                tell(error, respond, locale())

    try:
        pool.submit(contextvars.copy_context().run, run)
    except RuntimeError as error:
        tell(error, respond, locale())
        return False
    return True


def user_of(payload: dict[str, Any]) -> str | None:
    """The Slack user of a command or an interaction, as sent (for log lines only)."""
    user = payload.get("user_id")
    if user is None and isinstance(payload.get("user"), dict):
        user = payload["user"].get("id")
    return str(user) if isinstance(user, str) else None


def register(app: App) -> None:
    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
        tell(error, respond if body.get("response_url") else None)
