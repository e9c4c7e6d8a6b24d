"""The repository as the running bot uses it: its requests and its notices measured for /metrics.

A measure reads a row by primary key or two after the write it measures; it never fails that write."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.adapters.sql.outbox import SqlNotices
from bot.adapters.sql.repository import SqlRepository
from bot.adapters.sql.requests import SqlRequests
from bot.domain import PccBotError, State
from bot.support.metrics import Metrics
from bot.usecases.ports import Change, Clock

log = logging.getLogger(__name__)


def _measured(measure: Callable[[], None]) -> None:
    """A figure is never worth a failure: the change is recorded whatever its measure does."""
    try:
        measure()
    except PccBotError as error:
        log.debug("a metric was not measured: %s", error)


class MeasuredRequests(SqlRequests):
    """The requests' member, timing each plan's datastore from the plan's approval to its dispatch
    (``pcc_dispatch_seconds``): a read by primary key or two after the move that dispatches it."""

    def __init__(self, repo: SqlRepository, meters: Metrics) -> None:
        super().__init__(repo.store)
        self._plans, self._meters = repo.plans, meters

    def transition(
        self, request_id: int, expected: State, target: State, change: Change, now: datetime
    ) -> bool:
        moved = super().transition(request_id, expected, target, change, now)
        if moved and target == State.APPROVED:  # a plan's datastore is dispatched by this move
            _measured(lambda: self._dispatched(request_id, now))
        return moved

    def _dispatched(self, request_id: int, now: datetime) -> None:
        request = self.get(request_id)
        plan = self._plans.get(request.plan_id) if request and request.plan_id is not None else None
        if plan is not None and plan.decided_at is not None:
            self._meters.dispatch_seconds.observe(max(0.0, (now - plan.decided_at).total_seconds()))


class MeasuredNotices(SqlNotices):
    """The outbox's member, timing each notice from its queueing to Slack's acceptance
    (``pcc_notice_delivery_seconds``): a read by primary key after it is marked sent."""

    def __init__(self, repo: SqlRepository, meters: Metrics, clock: Clock) -> None:
        super().__init__(repo.store)
        self._figures, self._meters, self._clock = repo.figures, meters, clock

    def mark_sent(self, notice_id: int, now: datetime) -> None:
        super().mark_sent(notice_id, now)
        _measured(lambda: self._delivered(notice_id))

    def _delivered(self, notice_id: int) -> None:
        queued = self._figures.notice_queued_at(notice_id)
        if queued is not None:
            waited = (self._clock.now() - queued).total_seconds()
            self._meters.notice_delivery_seconds.observe(max(0.0, waited))


class MeasuredRepository(SqlRepository):
    """The repository whose requests and notices are measured (MeasuredRequests, MeasuredNotices)."""

    def __init__(self, location: str, busy_timeout: float, meters: Metrics, clock: Clock) -> None:
        super().__init__(location, busy_timeout=busy_timeout)
        self.requests = MeasuredRequests(self, meters)
        self.notices = MeasuredNotices(self, meters, clock)
