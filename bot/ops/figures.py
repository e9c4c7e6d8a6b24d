"""The database-wide figures of /metrics: requests by state, approvals, the outbox, the dispatch.

Every replica reads the same database, so these are exported by the leader only (the one replica that
runs the scheduled work; on SQLite the only process): ``sum()`` over the replicas reads each figure
once, and a figure is missing for a tick while the lead changes hands. ``pcc_leader``,
``pcc_paused`` and ``pcc_database_up`` are every replica's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.adapters.sql.repository import SqlRepository
from bot.domain import PccBotError, State


@dataclass(frozen=True, eq=False)  # registered by identity, as any collector
class DatabaseFigures(Collector):
    """Read at every scrape: ``leads`` and ``paused`` are asked then, ``now`` dates the figures."""

    repo: SqlRepository
    replica: str
    leads: Callable[[], bool]
    now: Callable[[], datetime]
    paused: Callable[[], bool] = lambda: False

    def describe(self) -> list[Metric]:
        return []  # read at every scrape, never at registration (no database read then)

    def collect(self) -> Iterator[Metric]:
        leads = self.leads()
        leader = GaugeMetricFamily(
            "pcc_leader",
            "1 when this replica runs the scheduled work (polling, reminders, boards), else 0.",
            labels=["replica"],
        )
        leader.add_metric([self.replica], 1.0 if leads else 0.0)
        yield leader
        try:
            figures = list(self._figures()) if leads else []
            paused = self.paused()
        except PccBotError:
            figures, up, paused = [], 0.0, False
        else:
            up = 1.0
        yield GaugeMetricFamily(
            "pcc_paused",
            "1 while this replica sends no mutating call (/pcc pause, or started with PCC_READ_ONLY=1).",
            value=1.0 if paused else 0.0,
        )
        yield GaugeMetricFamily(
            "pcc_database_up", "1 when this replica's last read of the database worked.", value=up
        )
        yield from figures

    def _figures(self) -> Iterator[Metric]:
        repo, now = self.repo, self.now()
        by_state = repo.requests.count_by_state()
        requests = GaugeMetricFamily(
            "pcc_requests", "Requests by state (the leader's export).", labels=["state"]
        )
        for state in State:
            requests.add_metric([state.value], float(by_state.get(state.value, 0)))
        yield requests
        yield CounterMetricFamily(
            "pcc_approvals",
            "Requests approved since the database was created.",
            value=repo.audit.count_actions("approved"),
        )
        notices = repo.figures.notices_waiting()
        yield GaugeMetricFamily(
            "pcc_notice_backlog", "Chat notices queued and not yet accepted by Slack.", value=notices.count
        )
        yield GaugeMetricFamily(
            "pcc_notice_lag_seconds",
            "How long the oldest chat notice not yet accepted by Slack has waited (0: none waits).",
            value=notices.age(now),
        )
        yield CounterMetricFamily(
            "pcc_notices_dead",
            "Chat notices Slack refused for good (dead-lettered, never retried).",
            value=repo.notices.dead_count(),
        )
        dispatch = repo.figures.dispatch_waiting()
        yield GaugeMetricFamily(
            "pcc_dispatch_waiting",
            "Datastores of approved plans whose copy is not sent yet (a dispatch under way or paused).",
            value=dispatch.count,
        )
        yield GaugeMetricFamily(
            "pcc_dispatch_lag_seconds",
            "Time since the approval of the oldest plan that still has a datastore to send (0: none).",
            value=dispatch.age(now),
        )
