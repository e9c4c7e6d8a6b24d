"""The runtime pause: whether pcc-bot may send a mutating call now (``Switch``, asked by the gate before
each one, by the people's decisions and by the plans' tick), and `/pcc pause` · `/pcc resume`
(``Pausing``, approvers only). The pause lives in the database, so every replica reads the same one at
its next ask; PCC_READ_ONLY=1 is the start-up switch and pauses the process it started.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain import READ_ONLY_SWITCH, AuditEntry, Conflict, NotAllowed, Pause, Paused
from bot.support.i18n import Text, _
from bot.usecases.ports import Clock
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import PauseStore

if TYPE_CHECKING:
    from bot.usecases.guard import Guard

log = logging.getLogger(__name__)


class Switch:
    """Asked before every mutating call, whoever decided it: one small read of the database."""

    def __init__(self, pause: PauseStore, settings: ServiceSettings, started: datetime) -> None:
        self._pause = pause
        self._read_only = (
            Pause(READ_ONLY_SWITCH, "pcc-bot was started read-only", started) if settings.read_only else None
        )

    def current(self) -> Pause | None:
        """The pause in force: PCC_READ_ONLY for this process, else `/pcc pause` for every replica."""
        return self._read_only or self._pause.current()

    def check(self, what: Text) -> None:
        """Raise ``Paused`` (nothing sent, nothing decided) while pcc-bot is paused."""
        pause = self.current()
        if pause is not None:
            raise Paused(pause, what)


class Pausing:
    """`/pcc pause [reason]` and `/pcc resume`: approvers only; each with its audit line."""

    def __init__(
        self, pause: PauseStore, clock: Clock, switch: Switch, guard: Guard, release: Callable[[str], int]
    ) -> None:
        """``release``: sends again the datastores that dispatches stopped after repeated refusals
        hold (usecases/dispatch.py); how many."""
        self._pause = pause
        self._clock = clock
        self._switch = switch
        self._guard = guard
        self._release = release
        self.shown: Callable[[], None] = lambda: None  # the boards told (the composition sets it)

    def _check(self, user: str, what: Text) -> None:
        if not self._guard.is_approver(user, fresh=True):
            said = _("only the approvers listed in PCC_APPROVERS can {what} pcc-bot", what=what)
            raise NotAllowed(str(said), text=said)

    def pause(self, user: str, reason: str) -> Pause:
        """Pause every replica: no mutating call leaves until an approver resumes."""
        self._check(user, _("pause"))
        now = self._clock.now()
        pause = Pause(user, reason.strip(), now)
        line = AuditEntry(None, now, user, "paused", None, None, pause.reason)
        if not self._pause.start(pause, line):
            current = self._pause.current() or pause  # resumed meanwhile: pausing again is for the person
            said = _("pcc-bot is already {paused}", paused=current.words())
            raise Conflict(str(said), text=said)
        log.warning("pcc-bot paused by %s: %s", user, pause.reason)
        self.shown()
        return pause

    def resume(self, user: str) -> tuple[Pause | None, int]:
        """End the pause (each replica's dispatches go on at its next tick), and send again what the
        dispatches stopped after repeated refusals hold. Returns the pause ended (None: there was
        none) and how many held datastores go on."""
        self._check(user, _("resume"))
        current = self._pause.current()
        line = AuditEntry(None, self._clock.now(), user, "resumed", None, None, "")
        if current is not None:
            line = replace(line, detail=f"paused by {current.by} since {current.since:%Y-%m-%d %H:%M} UTC")
        ended = current is not None and self._pause.end(line)
        released = self._release(user)
        if not ended and not released:
            said = (
                _(
                    "pcc-bot was started with `PCC_READ_ONLY=1`: only a restart without it resumes this "
                    "process"
                )
                if self._switch.current() is not None
                else _("pcc-bot is not paused: nothing to resume")
            )
            raise Conflict(str(said), text=said)
        if ended:
            log.warning("pcc-bot resumed by %s (paused by %s)", user, current.by if current else "?")
        self.shown()
        return (current if ended else None), released
