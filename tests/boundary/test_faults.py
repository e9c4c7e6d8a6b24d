"""Fault drills at the boundaries: Slack errors and timeouts, a busy or read-only database, and an
OVHcloud API that refuses connections or never answers."""

from dataclasses import replace

import pytest

from bot.adapters.ovh.gateway import OvhCredentials, SignedOvhGateway, make_client
from bot.adapters.slack import ids
from bot.demo.simulator import DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY
from bot.domain import MigrationSpec, NoticeDraft, NoticeKind, OvhApiError, State
from tests.helpers import CHANNEL, INCIDENT, MIGRATE, POST_ROUTE, file_request, start_bot, stop_bot


@pytest.fixture
def fragile(config, slack, clock):
    """A bot whose Slack calls give up after 1 s and whose database waits 0.3 s for a lock."""
    running = start_bot(config, slack, slack_timeout=1, db_busy_timeout=0.3, clock=clock)
    yield running
    stop_bot(running)


def done_notices(slack):
    return [
        (c.args["channel"], c.args.get("thread_ts"))
        for c in slack.standin.calls_to("chat.postMessage")
        if "restore-001234" in str(c.args.get("text"))
    ]


@pytest.mark.parametrize(
    ("status", "delay"), [(500, 0.0), (503, 0.0), (500, 2.0)], ids=["500", "503", "timeout"]
)
def test_slack_faults_delay_notices_and_never_double_them(fragile, slack, simulator, clock, status, delay):
    request_id = file_request(fragile)
    fragile.click(ids.APPROVE, str(request_id), user="UBOB")
    fragile.settle()
    simulator.sim.advance(5 * 3600)
    slack.standin.fail("chat.postMessage", status=status, times=2, retry_after=None, delay=delay)
    slack.standin.fail("chat.update", status=status, times=1, retry_after=None, delay=delay)
    fragile.runtime.service.poll_once()
    assert len(done_notices(slack)) == 0
    assert fragile.runtime.repo.notices.pending_count() == 2
    for _ in range(3):  # the delivery job, running as time passes and the backoff (5 s, 10 s...) ends
        clock.advance(seconds=30)
        fragile.runtime.service.deliver_notices()
    card_ts = fragile.runtime.repo.requests.get(request_id).card_ts
    assert sorted(done_notices(slack), key=str) == sorted([(CHANNEL, card_ts), (INCIDENT, None)], key=str)
    assert fragile.runtime.repo.notices.pending_count() == 0


def test_a_busy_database_is_a_clear_refusal_and_nothing_half_written(fragile, slack, simulator):
    import sqlite3

    holder = sqlite3.connect(fragile.runtime.config.db_path, timeout=5)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        fragile.command(MIGRATE)
        fragile.settle()
    finally:
        holder.rollback()
        holder.close()
    assert "the database refused the change" in fragile.replies()[-1]
    assert "Traceback" not in fragile.replies()[-1]
    assert fragile.runtime.repo.requests.recent(5) == []
    assert fragile.runtime.repo.notices.pending_count() == 0
    assert slack.standin.calls_to("chat.postMessage") == []


def _pragma(bot, setting):
    """On the one connection the SQLite store shares (so the setting holds for the bot's next writes)."""
    with bot.runtime.repo._store.connection() as conn:
        conn.exec_driver_sql(f"PRAGMA {setting}")


def test_a_read_only_database_refuses_an_approval_before_any_post(fragile, slack, simulator):
    request_id = file_request(fragile)
    _pragma(fragile, "query_only = ON")  # as on a read-only volume
    fragile.click(ids.APPROVE, str(request_id), user="UBOB")
    fragile.settle()
    assert "the database refused the change" in fragile.replies()[-1]
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []
    _pragma(fragile, "query_only = OFF")
    assert fragile.runtime.repo.requests.get(request_id).state == State.PENDING


def _gateway(url: str, timeout: float = 5.0) -> SignedOvhGateway:
    client = make_client(
        OvhCredentials(url, DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY), timeout=timeout
    )
    return SignedOvhGateway(client, backoff_seconds=0.0)


def test_connection_refused_is_a_clear_error_after_retries():
    gateway = _gateway("http://127.0.0.1:9/1.0")
    with pytest.raises(OvhApiError, match="network failure") as raised:
        gateway.get_pcc("pcc-192-0-2-15")
    said = str(raised.value)
    assert "the connection was refused: nothing listens at that address" in said
    assert "HTTPConnectionPool" not in said and "object at 0x" not in said  # a sentence, not a repr


def test_a_read_that_times_out_is_retried(simulator):
    gateway = _gateway(simulator.url, timeout=0.5)
    gateway.get_certifications("pcc-192-0-2-50")  # python-ovh's clock sync first
    simulator.sim.inject("GET", r"^/dedicatedCloud/pcc-192-0-2-15$", "timeout", seconds=1.0)
    assert gateway.get_pcc("pcc-192-0-2-15").zone == "sbg1a"


def test_a_post_that_times_out_is_ambiguous_and_not_repeated(simulator):
    gateway = _gateway(simulator.url, timeout=0.5)
    gateway.get_certifications("pcc-192-0-2-50")
    simulator.sim.inject("POST", POST_ROUTE, "timeout", seconds=1.0)
    with pytest.raises(OvhApiError) as caught:
        gateway.start_migration(
            MigrationSpec("pcc-192-0-2-15", 1337, 1234, "pcc-192-0-2-50", 1515), "linkFilerFromSbg"
        )
    assert caught.value.ambiguous
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) <= 1 and len(simulator.sim.tasks) == 1


def test_config_replace_keeps_secrets_out_of_repr(config):
    assert "test-signing-secret" not in repr(replace(config))


def test_a_card_slack_refuses_for_good_frees_its_datastore_and_nothing_retries_forever(
    timed_bot, slack, clock
):
    bot = timed_bot
    slack.standin.refused_channels["CPRIVATE"] = "not_in_channel"
    bot.command(MIGRATE, user="UALICE", channel="CPRIVATE")
    bot.settle()
    (uncarded,) = bot.runtime.repo.requests.recent(1)
    assert uncarded.state == State.CANCELLED  # nobody could ever click its Approve
    bot.runtime.repo.notices.queue(  # a thread reply queued for it (a reminder, say) before that
        uncarded.id, NoticeDraft(NoticeKind.THREAD, "late", "CPRIVATE", "a reply"), clock.now()
    )
    for _ in range(3):
        clock.advance(minutes=10)
        bot.runtime.service.deliver_notices()
    assert bot.runtime.repo.notices.pending_count() == 0  # dead-lettered, not retried every 5 s
    again = file_request(bot)  # the same datastore, in a channel pcc-bot can post in
    assert bot.runtime.repo.requests.get(again).state == State.PENDING


def test_a_huge_retry_after_from_slack_is_bounded_and_the_approval_stands(bot, slack, simulator):
    request_id = file_request(bot)
    slack.standin.fail("chat.postMessage", status=429, times=1, retry_after=10**20)
    bot.click(ids.APPROVE, str(request_id), user="UBOB")
    bot.settle()
    assert bot.runtime.repo.requests.get(request_id).state == State.REPLICATING
    assert not any("unexpected error" in r for r in bot.replies())
    assert bot.runtime.repo.notices.pending_count() >= 1  # the notice waits, at most 15 minutes
