"""What a listener does after its ack: run on a pool (never on Bolt's thread), told when it waits for
the OVHcloud call budget, and whatever it raises told to the person (handlers/errors.py: ``tell``)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import Respond

from bot.support import logs, waits
from bot.support.executor import TrackingExecutor
from bot.support.i18n import DEFAULT_LOCALE, _
from handlers.errors import tell


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

    context = contextvars.copy_context()  # the listener's: who the work is for goes along
    try:
        if isinstance(pool, TrackingExecutor):  # after the ack: it gives way to the acks in flight
            pool.after_acks(lambda: context.run(run))
        else:
            pool.submit(context.run, run)
    except RuntimeError as error:
        tell(error, respond, locale())
        return False
    return True
