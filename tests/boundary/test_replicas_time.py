"""Replicas whose clocks disagree, or one of which freezes, on one PostgreSQL (issue 24): every time
that crosses replicas is the database's; a frozen replica loses its locks and its lead in seconds.

The replica 3 minutes ahead runs in this process, its host clock injected (no faketime); the others
are real `pcc-bot serve` processes. A signed request's replay is remembered as long as any replica
accepts its timestamp."""

from __future__ import annotations

import collections
import os
import signal
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import requests

from bot.adapters.http.server import HttpServer, LocalReplays, SlackWsgi
from bot.adapters.slack import ids
from bot.adapters.sql.repository import SqlRepository
from bot.domain import State
from tests.fakes import FakeClock
from tests.helpers import INCIDENT, POST_ROUTE, SIGNING_SECRET, Serving, signed_headers, start_bot, stop_bot

SOURCE, DEST = "pcc-192-0-2-15 1337", "pcc-192-0-2-50 1515"


class _HostClock:
    """This host's clock, ``ahead`` of the real time (a replica whose NTP is off)."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        return datetime.now(UTC) + self.ahead


def _wait(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.2)
    return time.monotonic() - started


def _sent_twice(slack) -> list[tuple[str, str, str]]:
    said = collections.Counter(
        (str(c.args.get("channel")), str(c.args.get("thread_ts")), str(c.args.get("text")))
        for c in slack.standin.calls_to("chat.postMessage")
    )
    return [message for message, times in said.items() if times > 1]


def _states(repo: SqlRepository, request_id: int) -> list[str | None]:
    return [entry.to_state for entry in repo.audit.history(request_id)]


@pytest.mark.timeout(180)
def test_a_replica_3_minutes_ahead_puts_no_call_in_doubt_and_sends_no_notice_twice(
    tmp_path, config, simulator, slack, postgres
):
    url = postgres.fresh()
    ahead = start_bot(
        replace(config, database_url=url, poll_seconds=1),
        slack,
        background=False,
        host_clock=_HostClock(timedelta(minutes=3)),
    )
    repo = SqlRepository(url)
    other = None
    try:
        ahead.runtime.start_background()  # started first: it leads, 3 minutes ahead
        assert ahead.runtime.leads()
        other = Serving(
            tmp_path / "other", simulator, slack, PCC_DATABASE_URL=url, PCC_INCIDENT_CHANNEL=INCIDENT
        )
        ready = requests.get(f"{ahead.url}/readyz", timeout=5).json()
        assert ready["ok"] and "off the database's" in " ".join(ready["warnings"])  # said, still ready
        # A slow Slack: a batch of notices outlives the claims of the replica on time, as the one
        # ahead used to see them.
        slack.standin.listener = lambda call: time.sleep(1.0) if call.method == "chat.postMessage" else None
        other.command(f"migrate {SOURCE} 1234 {DEST}")
        _wait(lambda: bool(repo.requests.recent(1)), 30, "the filing on the replica on time")
        request = repo.requests.recent(1)[0]
        _wait(lambda: repo.requests.get(request.id).state == State.PENDING, 30, "the request pending")
        simulator.sim.latency = 3.0  # the POST stays in flight while the leader ahead polls
        other.click(ids.APPROVE, str(request.id), "UBOB")
        _wait(lambda: repo.requests.get(request.id).state == State.REPLICATING, 60, "the approval's POST")
        simulator.sim.latency = 0.0
        simulator.sim.advance(48 * 3600)  # the copy ends: the leader ahead tells it
        _wait(lambda: repo.requests.get(request.id).state == State.DONE, 40, "the completion")
        _wait(lambda: repo.notices.pending_count() == 0, 60, "every notice sent")
        assert State.NEEDS_ATTENTION.value not in _states(repo, request.id), repo.audit.history(request.id)
        assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
        assert _sent_twice(slack) == []
    finally:
        slack.standin.listener = None
        simulator.sim.latency = 0.0
        if other is not None:
            other.kill()
        stop_bot(ahead)
        repo.close()


@pytest.mark.timeout(240)
def test_a_frozen_leader_holds_nobody_and_sends_nothing_twice_once_it_thaws(
    tmp_path, simulator, slack, postgres
):
    url = postgres.fresh()
    env = {"PCC_DATABASE_URL": url, "PCC_INCIDENT_CHANNEL": INCIDENT}
    a = Serving(tmp_path / "a", simulator, slack, **env)
    b = Serving(tmp_path / "b", simulator, slack, **env)
    repo = SqlRepository(url)
    try:
        _wait(lambda: a.leads() or b.leads(), 20, "a leader")
        frozen, survivor = (a, b) if a.leads() else (b, a)
        frozen.proc.send_signal(signal.SIGSTOP)  # a paused VM: its sockets stay open
        frozen_at = time.monotonic()
        try:
            since = len(slack.standin.calls)
            survivor.command(f"migrate {SOURCE} 1234 {DEST}")
            _wait(
                lambda: repo.requests.get(1) is not None and repo.requests.get(1).state == State.PENDING,
                45,
                "the filing",
            )
            survivor.click(ids.APPROVE, "1", "UBOB")
            _wait(lambda: repo.requests.get(1).state == State.REPLICATING, 45, "the approval's POST")
            assert any(c.method == "response_url" for c in slack.standin.calls[since:])  # answered
            assert time.monotonic() - frozen_at < 45
            _wait(survivor.leads, 60 - (time.monotonic() - frozen_at), "the survivor leading")
            time.sleep(max(0.0, 60 - (time.monotonic() - frozen_at)))  # frozen for a minute
        finally:
            frozen.proc.send_signal(signal.SIGCONT)
        simulator.sim.advance(48 * 3600)
        _wait(lambda: repo.requests.get(1).state == State.DONE, 40, "the completion")
        _wait(lambda: repo.notices.pending_count() == 0, 30, "every notice sent")
        time.sleep(6)  # a delivery round of the thawed replica
        assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
        assert _sent_twice(slack) == []
        assert not frozen.leads() and survivor.leads()
    finally:
        for server in (a, b):
            if server.proc.poll() is None:
                os.kill(server.proc.pid, signal.SIGCONT)
            server.kill()
        repo.close()


def test_a_replay_is_caught_as_long_as_its_timestamp_is_accepted(bot):
    """Low 11: a timestamp is accepted from 5 minutes before it to 5 minutes after it; a request first
    seen 299 s early and replayed 331 s later is still valid, and must not be handled twice."""
    clock = FakeClock(datetime.now(UTC))
    wsgi = SlackWsgi(
        bot.runtime.app,
        bot.runtime,
        signing_secret=SIGNING_SECRET,
        clock=clock,
        replays=LocalReplays(clock=lambda: clock.now().timestamp()),
    )
    server = HttpServer(wsgi, "127.0.0.1", 0).start()
    try:
        fields = {"command": "/pcc", "text": "help", "user_id": "UALICE", "channel_id": "COPS"}
        body = urlencode({**fields, "team_id": "T0PCC", "response_url": bot.slack.response_url()})
        headers = signed_headers(body, timestamp=int(clock.now().timestamp()) + 299)
        url = f"http://127.0.0.1:{server.port}/slack/events"
        first = requests.post(url, data=body, headers=headers, timeout=10)
        assert first.ok and "duplicate" not in first.text
        clock.advance(seconds=331)
        again = requests.post(url, data=body, headers=headers, timeout=10)
        assert again.ok and again.json().get("duplicate") is True
    finally:
        server.stop()


def test_doctor_warns_when_this_hosts_clock_is_off_the_databases(postgres):
    from bot.ops.doctor import OK, WARN, database_clock_check

    repo = SqlRepository(postgres.fresh())
    try:
        on_time = database_clock_check(repo.database_time)
        assert on_time.verdict == OK and "off the database's clock" in on_time.detail
        ahead = database_clock_check(repo.database_time, host_time=lambda: time.time() + 180)
        assert ahead.verdict == WARN and "+180." in ahead.detail and "fix NTP" in ahead.detail
    finally:
        repo.close()
