"""Errors reach people as ephemeral text: domain errors as written, anything else as an error id.

Two entry points share ``tell``: the ``@app.error`` handler, and ``later`` (handlers/after_ack.py),
which runs what a listener does after its ack and catches what that raises. Raising from the Bolt
listener itself would hit a race in Bolt 1.30 (`slack_bolt/listener/thread_runner.py`): a listener
raising right after ``ack()`` gets ``ack.response`` reset to None before the dispatcher (polling every
10 ms) reads it, so a fast refusal became "didn't call ack()", an HTTP 404 or an unanswered Socket
Mode envelope.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, Respond

from bot.domain import PccBotError
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
