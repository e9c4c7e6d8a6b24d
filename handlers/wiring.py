"""What every listener is handed, as one typed value on Bolt's context, and where its work runs after
the ack: commands on one pool, clicks on another, so that a decision never waits behind reads."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from slack_bolt import BoltContext, Respond

from bot.support.i18n import DEFAULT_LOCALE
from bot.usecases.service import PccService
from handlers.errors import later


def _default_locale(user: str | None) -> str:
    return DEFAULT_LOCALE


#: The one key the middleware sets on Bolt's context.
KEY = "pcc"


@dataclass(frozen=True)
class Wiring:
    service: PccService
    commands: Executor  # after a command's ack: listings, filings, the form's checks
    clicks: Executor  # after a click's ack: decisions
    #: A person's locale (bot/adapters/slack/people.py): what only they see is written in it.
    locale_of: Callable[[str | None], str] = _default_locale
    #: The same, only as already known (no Slack call): for answers Slack wants within 3 s.
    locale_known: Callable[[str | None], str] = _default_locale

    def after_command(self, respond: Respond | None, user: str | None, job: Callable[[], None]) -> None:
        later(self.commands, respond, user, job, self.locale_of)

    def after_click(self, respond: Respond | None, user: str | None, job: Callable[[], None]) -> None:
        later(self.clicks, respond, user, job, self.locale_of)


def wiring(context: BoltContext) -> Wiring:
    """What the middleware handed this listener (handlers/__init__.py: provide)."""
    found = context.get(KEY)
    assert isinstance(found, Wiring), "the pcc-bot middleware did not run"
    return found
