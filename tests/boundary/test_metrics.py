"""/metrics as Prometheus and its official client read it: exact counters, the client's collectors,
names after the conventions `promtool check metrics` holds (run on the same scrape by `make
deploy-check`), the database-wide figures exported once over two replicas, the timings of notices and
of a plan's dispatch, and the dashboard, the alerts and the docs naming only what the bot exports."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.slack import ids
from bot.demo.samples import sample_draft
from bot.demo.simulator import Simulator, SimulatorServer, large_pcc
from bot.demo.slack_standin import SlackStandIn, SlackStandInServer
from bot.domain import State, StorageError
from bot.ops.measured import MeasuredRepository
from bot.support.metrics import Metrics
from bot.support.version import version
from bot.usecases.ports import Change
from tests import scrape
from tests.helpers import file_request, start_bot, stop_bot
from tests.live_scrape import scrape_of_a_running_bot

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def test_counters_past_a_million_are_exact(bot):
    bot.runtime.meters.ovh_calls.labels("GET", "/dedicatedCloud").inc(1_234_567)
    bot.runtime.meters.poll_cycles.inc(123_456_789)
    text = requests.get(f"{bot.url}/metrics", timeout=5).text
    assert scrape.value(text, "pcc_ovh_calls_total", method="GET", route="/dedicatedCloud") == 1_234_567
    assert scrape.value(text, "pcc_poll_cycles_total") == 123_456_789
    assert "1.23457e+06" not in text  # never cut to six significant digits


@pytest.fixture(scope="module")
def scraped(tmp_path_factory) -> str:
    simulator = SimulatorServer(Simulator()).start()
    slack = SlackStandInServer(SlackStandIn()).start()
    try:
        return scrape_of_a_running_bot(simulator, slack, tmp_path_factory.mktemp("scrape"))
    finally:
        slack.stop()
        simulator.stop()


def test_a_scrape_follows_the_conventions(scraped):
    families = list(text_string_to_metric_families(scraped))  # the client's parser: well-formed
    ours = [family for family in families if family.name.startswith("pcc_")]
    assert {"process", "python"} <= {family.name.split("_")[0] for family in families}
    for family in ours:
        assert NAME.match(family.name) and family.documentation, family.name
        names = {sample.name for sample in family.samples}
        if family.type == "counter":
            assert names <= {f"{family.name}_total"}, family.name
        else:
            assert not any(name.endswith("_total") for name in names), family.name
        if family.type == "histogram":
            assert family.name.endswith("_seconds"), family.name
    assert scrape.value(scraped, "pcc_notice_delivery_seconds_count") >= 1  # the card, at least
    (build,) = [sample for family in ours for sample in family.samples if sample.name == "pcc_build_info"]
    assert build.labels["version"] == version() and build.value == 1


def test_two_replicas_export_each_database_figure_once(config, slack, postgres):
    shared = replace(config, database_url=postgres.fresh())
    a, b = start_bot(shared, slack), start_bot(shared, slack)
    try:
        request_id = file_request(a)
        a.click(ids.APPROVE, str(request_id), user="UBOB")
        a.settle()
        leading = [bot.runtime.poller.take_lead() for bot in (a, b)]
        assert sorted(leading) == [False, True]
        both = [requests.get(f"{bot.url}/metrics", timeout=5).text for bot in (a, b)]
        assert sum(scrape.total(text, "pcc_leader") for text in both) == 1
        assert all(scrape.value(text, "pcc_database_up") == 1 for text in both)
        stored = a.runtime.repo.requests.count_by_state()
        for state in State:
            read = sum(scrape.value(text, "pcc_requests", state=state.value) or 0 for text in both)
            assert read == stored.get(state.value, 0), state
        assert sum(scrape.value(text, "pcc_approvals_total") or 0 for text in both) == 1
        follower = both[leading.index(False)]
        assert scrape.value(follower, "pcc_requests", state="replicating") is None
        assert scrape.total(follower, "pcc_build_info") == 1  # its own process metrics, as every replica
    finally:
        stop_bot(a)
        stop_bot(b)


def exported(text: str) -> set[str]:
    """Every series name a scrape can show, counting a labelled family before its first count."""
    names = set()
    for family in text_string_to_metric_families(text):
        names |= {sample.name for sample in family.samples} | {family.name}
        names |= {family.name + end for end in SUFFIXES.get(family.type, ())}
    return names


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
#: What PromQL may name besides series: functions, keywords, and what Prometheus itself records.
NOT_METRICS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool"}
PROMETHEUS_OWN = {"up"}


def metrics_named(expr: str) -> set[str]:
    expr = re.sub(r'"[^"]*"', "", expr)  # strings, then label matchers, ranges and by-clauses
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(by|without|on|ignoring)\s*\([^)]*\)", " ", expr)
    names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr))
    return names - NOT_METRICS


def test_the_dashboard_and_the_alerts_name_only_metrics_the_bot_exports(scraped):
    known = exported(scraped) | PROMETHEUS_OWN
    dashboard = json.loads((ROOT / "deploy/grafana/pcc-bot.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    queries += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    named = {name: expr for expr in queries for name in metrics_named(expr)}
    assert len(queries) > 20 and {"pcc_ovh_throttled_total", "pcc_slack_ack_seconds_bucket"} <= set(named)
    assert {name: expr for name, expr in named.items() if name not in known} == {}
    assert metrics_named('sum by (le) (rate(x_bucket{job="a"}[5m])) > 0 unless y') == {"x_bucket", "y"}


def test_the_operations_page_lists_every_metric_the_bot_exports(scraped):
    text = (ROOT / "docs/operations.md").read_text()
    documented = re.findall(r"^\| `(pcc_\w+)` \| (\w+) \|", text, re.M)
    exposed = [
        (family.name + ("_total" if family.type == "counter" else ""), family.type)
        for family in text_string_to_metric_families(scraped)
        if family.name.startswith("pcc_")
    ]
    assert sorted(documented) == sorted(exposed)


def test_a_plans_dispatch_is_timed_per_datastore(bot, simulator):
    simulator.sim.inventory["pcc-192-0-2-99"] = large_pcc(6)
    bot.command("plan pcc-192-0-2-99 2001 pcc-192-0-2-50 1515")
    bot.settle()
    (plan,) = bot.runtime.repo.plans.recent(1)
    bot.click(ids.APPROVE_PLAN, str(plan.id), user="UBOB")
    bot.settle()
    items = bot.runtime.repo.plans.items(plan.id)
    assert items and all(item.state != State.PENDING for item in items)
    text = requests.get(f"{bot.url}/metrics", timeout=5).text
    assert scrape.value(text, "pcc_dispatch_seconds_count") == len(items)
    assert scrape.value(text, "pcc_dispatch_waiting") == 0


def test_a_measure_that_fails_never_fails_the_change(tmp_path, monkeypatch):
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    clock = type("Clock", (), {"now": staticmethod(lambda: now)})()
    meters = Metrics()
    repo = MeasuredRepository(str(tmp_path / "m.db"), 5.0, meters, clock)
    try:
        request = repo.requests.add(sample_draft(1234, now), card_channel="COPS")
        (notice,) = repo.notices.due(now, 10)

        def down(*_args):
            raise StorageError("the database could not be read: gone")

        monkeypatch.setattr(repo.requests, "get", down)
        monkeypatch.setattr(repo.figures, "notice_queued_at", down)
        change = Change(actor="UBOB", action="approved")
        assert repo.requests.transition(request.id, State.PENDING, State.APPROVED, change, now)
        repo.notices.mark_sent(notice.id, now)
        assert repo.notices.due(now, 10) == []  # recorded all the same
        assert meters.registry.get_sample_value("pcc_notice_delivery_seconds_count") == 0  # unmeasured
    finally:
        repo.close()
