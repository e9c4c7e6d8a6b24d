"""What this process measures, kept by the official Prometheus client (``prometheus_client``) in a
registry of its own (one per runtime: tests build several in one process), and exposed in Prometheus'
text format with the client's process and Python collectors and ``pcc_build_info``.

Counters are exposed exactly (``1234567.0``, never ``1.23457e+06``). Figures about the whole database
(requests by state, the outbox) are not here: the composition root adds a collector for them that only
the leader fills (bot/ops/figures.py), so that ``sum()`` over replicas reads each once."""

from __future__ import annotations

import platform
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.registry import Collector

#: The text format every Prometheus server reads (the client's own default names format 1.0.0).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

_ID = re.compile(r"/\d+(?=/|$)")
_SERVICE = re.compile(r"^/dedicatedCloud/[^/]+")

#: Ack time: Slack wants an answer within 3 s.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
#: A notice, from its queueing to Slack's acceptance: at once, or after retries and Slack's Retry-After.
NOTICE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
#: A plan's datastore, from the plan's approval to its dispatch: a second a call, then the budget's pace.
DISPATCH_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0)
#: An OVHcloud call: tens of milliseconds to the read timeout.
CALL_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

# `_created` series double every counter for a figure nobody alerts on.
disable_created_metrics()  # type: ignore[no-untyped-call]


def route_of(path: str) -> str:
    """An API path with its ids replaced, so that metrics stay few: /dedicatedCloud/{sn}/task/{id}."""
    path = path.split("?", 1)[0]
    path = _SERVICE.sub("/dedicatedCloud/{sn}", path) if path != "/dedicatedCloud/location" else path
    return _ID.sub("/{id}", path)


class Metrics:
    """The process' own metrics (every replica exports its own; ``sum()`` adds them up)."""

    def __init__(self, version: str = "0+unknown", replica: str = "") -> None:
        self.registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        build = Info("pcc_build", "The running pcc-bot: its version and Python.", registry=self.registry)
        build.info({"version": version, "python": platform.python_version(), "replica": replica})
        counter = partial(Counter, registry=self.registry)
        gauge = partial(Gauge, registry=self.registry)
        histogram = partial(Histogram, registry=self.registry)
        labels = ("method", "route")
        self.ovh_calls = counter("pcc_ovh_calls", "OVHcloud API calls by method and route.", labels)
        self.ovh_errors = counter(
            "pcc_ovh_errors", "OVHcloud API errors by method, route and status.", (*labels, "status")
        )
        self.ovh_throttled = counter(
            "pcc_ovh_throttled",
            "OVHcloud calls not sent because the call budget had no room in time, by method and route.",
            labels,
        )
        self.ovh_call_seconds = histogram(
            "pcc_ovh_call_seconds",
            "Time an OVHcloud API call took, from sending to its answer (or error), by method and route.",
            labels,
            buckets=CALL_BUCKETS,
        )
        self.ack_seconds = histogram(
            "pcc_slack_ack_seconds",
            "Time to answer a signed Slack request over HTTP (the ack Slack waits 3 s for).",
            buckets=ACK_BUCKETS,
        )
        self.notice_delivery_seconds = histogram(
            "pcc_notice_delivery_seconds",
            "Time from a chat notice's queueing to Slack's acceptance, for the notices this replica sent.",
            buckets=NOTICE_BUCKETS,
        )
        self.dispatch_seconds = histogram(
            "pcc_dispatch_seconds",
            "Time from a plan's approval to the dispatch of each of its datastores (their call let through).",
            buckets=DISPATCH_BUCKETS,
        )
        self.poll_cycles = counter("pcc_poll_cycles", "Task polling cycles run.")
        self.poll_duration = gauge("pcc_poll_duration_seconds", "Duration of the last task polling cycle.")

    def register(self, collector: Collector) -> None:
        self.registry.register(collector)

    def exposition(self) -> bytes:
        """The Prometheus text of every metric of this registry."""
        return generate_latest(self.registry)

    @contextmanager
    def ovh_call(self, method: str, route: str) -> Iterator[None]:
        """Count one call that is sent, and time it."""
        self.ovh_calls.labels(method, route).inc()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.ovh_call_seconds.labels(method, route).observe(time.perf_counter() - started)
