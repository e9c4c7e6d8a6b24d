"""What every listener is handed, as one typed value on Bolt's context, and where its work runs after
the ack. Three lanes: commands that need an OVHcloud call on one pool (each person holding at most a
few places in it), commands that need none on another (they never queue behind reads), clicks on a third
(a decision never waits behind reads)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

from slack_bolt import BoltContext, Respond

from bot.support.i18n import DEFAULT_LOCALE, _
from bot.support.pools import PersonQueue
from bot.usecases.service import PccService
from handlers.after_ack import later

log = logging.getLogger(__name__)

#: How long Slack keeps a command's response_url usable: an answer later than that is lost.
RESPONSE_URL_SECONDS = 30 * 60.0
#: OVHcloud-bound commands one person may have queued or running at once; the next are refused at once.
PER_PERSON = 10


def _default_locale(user: str | None) -> str:
    return DEFAULT_LOCALE


def _nowhere(user: str | None, channel: str | None, text: str) -> None:
    log.warning("a command of %s waited past its response_url's life: %s", user, text)


#: The one key the middleware sets on Bolt's context.
KEY = "pcc"


@dataclass(frozen=True)
class Wiring:
    service: PccService
    commands: Executor  # after a command's ack, when it calls OVHcloud: listings, filings, the form's
    clicks: Executor  # after a click's ack: decisions
    #: A person's locale (bot/adapters/slack/people.py): what only they see is written in it.
    locale_of: Callable[[str | None], str] = _default_locale
    #: The same, only as already known (no Slack call): for answers Slack wants within 3 s.
    locale_known: Callable[[str | None], str] = _default_locale
    quick: Executor | None = None  # after a command's ack, when it calls no OVHcloud: list, status...
    queue: PersonQueue = field(default_factory=lambda: PersonQueue(PER_PERSON))
    response_life: float = RESPONSE_URL_SECONDS
    #: Tells a person something once their response_url has expired (an ephemeral in the channel).
    elsewhere: Callable[[str | None, str | None, str], None] = _nowhere
    monotonic: Callable[[], float] = time.monotonic

    def after_command(
        self,
        respond: Respond | None,
        user: str | None,
        job: Callable[[], None],
        *,
        ovh: bool = True,
        channel: str | None = None,
    ) -> None:
        """``job`` on its lane: ``ovh`` (it calls OVHcloud) on the bounded one, else on the quick one."""
        if not ovh:
            later(self.quick or self.commands, respond, user, job, self.locale_of)
            return
        if not self.queue.enter(user):  # told on the quick lane: nothing but the ack on Bolt's thread
            lane = self.quick or self.commands
            later(lane, respond, user, lambda: self._refuse(respond, user), self.locale_of)
            return
        arrived = self.monotonic()

        def run() -> None:
            try:
                if self.monotonic() - arrived < self.response_life:
                    job()
                else:
                    self._too_late(user, channel, self.monotonic() - arrived)
            finally:
                self.queue.leave(user)

        if not later(self.commands, respond, user, run, self.locale_of):
            self.queue.leave(user)

    def _refuse(self, respond: Respond | None, user: str | None) -> None:
        said = _(
            "You already have {count} commands waiting for OVHcloud; this one was not run. "
            "Try again once they are answered.",
            count=self.queue.per_person,
        )
        log.info("refused a command of %s: %d already queued", user, self.queue.per_person)
        if respond is not None:
            text = f":no_entry: {said.render(self.locale_of(user))}"
            respond(text=text, response_type="ephemeral", replace_original=False)

    def _too_late(self, user: str | None, channel: str | None, waited: float) -> None:
        said = _(
            "Your `/pcc` command waited {minutes} min for OVHcloud, longer than Slack keeps its answer "
            "open: nothing was sent. Run it again.",
            minutes=round(waited / 60),
        )
        self.elsewhere(user, channel, f":hourglass: {said.render(self.locale_of(user))}")

    def after_click(self, respond: Respond | None, user: str | None, job: Callable[[], None]) -> None:
        later(self.clicks, respond, user, job, self.locale_of)


def wiring(context: BoltContext) -> Wiring:
    """What the middleware handed this listener (handlers/__init__.py: provide)."""
    found = context.get(KEY)
    assert isinstance(found, Wiring), "the pcc-bot middleware did not run"
    return found
