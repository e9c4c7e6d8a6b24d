"""/metrics as Prometheus and its official client read it: exact counters, the client's collectors,
names after the conventions `promtool check metrics` holds (run on the same scrape by `make
deploy-check`), and the database-wide figures exported once over two replicas."""

from __future__ import annotations

import re
from dataclasses import replace

import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.slack import ids
from bot.domain import State
from bot.support.version import version
from tests import scrape
from tests.helpers import file_request, start_bot, stop_bot
from tests.live_scrape import scrape_of_a_running_bot

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def test_counters_past_a_million_are_exact(bot):
    bot.runtime.meters.ovh_calls.labels("GET", "/dedicatedCloud").inc(1_234_567)
    bot.runtime.meters.poll_cycles.inc(123_456_789)
    text = requests.get(f"{bot.url}/metrics", timeout=5).text
    assert scrape.value(text, "pcc_ovh_calls_total", method="GET", route="/dedicatedCloud") == 1_234_567
    assert scrape.value(text, "pcc_poll_cycles_total") == 123_456_789
    assert "e+06 " not in text.replace("1.234567e+06", "")  # never six significant digits


def test_a_scrape_follows_the_conventions(simulator, slack, tmp_path):
    text = scrape_of_a_running_bot(simulator, slack, tmp_path)
    families = list(text_string_to_metric_families(text))  # the client's parser: well-formed
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
        stored = a.runtime.repo.count_by_state()
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
