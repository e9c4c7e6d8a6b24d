"""Several replicas on one PostgreSQL, at the repository's boundary: each notice claimed by one of
them (a dead one's claims taken over), one leader at a time, one OVHcloud budget for all, a replayed
Slack request caught by whichever replica it reaches."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.adapters.sql import store as store_module
from bot.adapters.sql.clock import DatabaseClock
from bot.adapters.sql.leader import AdvisoryLeader, Alone, leadership
from bot.adapters.sql.repository import SqlRepository
from bot.adapters.sql.shared import DatabaseBudget
from bot.adapters.sql.store import SESSION_SETTINGS, WRITE_LOCK, Store, session_options
from bot.demo.samples import sample_draft
from bot.domain import NoticeDraft, NoticeKind, State, StorageError
from bot.support.window import SlidingWindow
from bot.usecases.ports import Change

NOW = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


@pytest.fixture
def replicas(database):
    """Two repositories on one database, as two processes would open it."""
    first, second = SqlRepository(database), SqlRepository(database)
    yield first, second
    first.close()
    second.close()


def _queue_notices(repo, count):
    request = repo.requests.add(sample_draft(4242, NOW), card_channel="COPS")
    notices = [NoticeDraft(NoticeKind.INCIDENT, f"n{i}", "CINC", f"notice {i}") for i in range(count)]
    repo.requests.transition(
        request.id, State.PENDING, State.APPROVED, Change("UBOB", "approved", notices=notices), NOW
    )


def test_each_notice_is_claimed_by_one_replica_at_a_time(replicas):
    first, second = replicas
    _queue_notices(first, 39)  # and the card: 40
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def claim(name, repo):
        while batch := repo.notices.claim(NOW, 3, name, NOW + LEASE):
            for notice in batch:
                claimed[name].append(notice.id)
                repo.notices.mark_sent(notice.id, NOW)  # sent: its claim ends with it

    threads = [threading.Thread(target=claim, args=(n, r)) for n, r in (("a", first), ("b", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = claimed["a"] + claimed["b"]
    assert len(every) == 40 and len(set(every)) == 40


def test_a_dead_replicas_claims_are_taken_over_once_its_lease_lapses(replicas):
    first, second = replicas
    _queue_notices(first, 1)
    held = first.notices.claim(NOW, 10, "dead-replica", NOW + LEASE)
    assert len(held) == 2
    assert second.notices.claim(NOW + LEASE - timedelta(seconds=1), 10, "survivor", NOW + 2 * LEASE) == []
    later = NOW + LEASE + timedelta(seconds=1)
    taken = second.notices.claim(later, 10, "survivor", later + LEASE)
    assert [n.id for n in taken] == [n.id for n in held]
    second.notices.mark_sent(taken[0].id, later)
    assert [n.id for n in second.notices.claim(later, 10, "survivor", later + LEASE)] == [taken[1].id]


def test_a_replayed_request_is_caught_by_the_other_replica(replicas):
    first, second = replicas
    assert first.replays.first_sight("1700000000:v0=abc", 330)
    assert not second.replays.first_sight("1700000000:v0=abc", 330)
    assert second.replays.first_sight("1700000001:v0=def", 330)


def test_the_budget_is_one_for_every_replica(replicas):
    first, second = replicas
    taken = [repo.budget.take_calls(1, 10, 60, mutating=False, replica=name) for repo, name in
             [(first, "a"), (second, "b")] * 6]  # fmt: skip
    assert taken.count(0.0) == 10
    assert all(0 < wait <= 60 for wait in taken[10:])
    assert first.budget.take_calls(1, 12, 60, mutating=True, replica="a") == 0.0  # the reserve above reads


def test_two_windows_on_one_database_never_pass_the_limit_together(database):
    """Two processes' limiters, each believing it is alone with 20 calls a minute: together, 20."""
    repos = [SqlRepository(database) for _ in range(2)]
    windows = [
        SlidingWindow(20, reserve=2, shared=DatabaseBudget(repo.budget, 60, f"r{i}"))
        for i, repo in enumerate(repos)
    ]
    granted = [0, 0]

    def burst(i):
        for _ in range(30):
            if windows[i].try_acquire(who=f"U{i}"):
                granted[i] += 1

    threads = [threading.Thread(target=burst, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sum(granted) == 18  # every read place, none of the reserve
        assert all(windows[i].try_acquire(mutating=True) for i in range(2))  # the reserve, for POSTs
        assert not windows[0].try_acquire(mutating=True)
    finally:
        for repo in repos:
            repo.close()


def test_one_leader_at_a_time_and_a_survivor_takes_over(postgres):
    url = postgres.fresh()
    first, second = AdvisoryLeader(url), AdvisoryLeader(url)
    try:
        assert first.leads() and not second.leads()
        assert first.leads() and not second.leads()  # kept while held
        first.close()  # its connection gone, as with kill -9
        deadline = time.monotonic() + 5  # the server frees the lock once it has seen the session end
        while not second.leads():
            assert time.monotonic() < deadline, "the survivor never led"
            time.sleep(0.05)
        assert not first.leads()
    finally:
        first.close()
        second.close()


def test_a_leader_whose_server_is_unreachable_steps_down_without_raising():
    leader = AdvisoryLeader("postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    assert leader.leads() is False


def test_sqlite_has_one_process_and_it_leads(tmp_path):
    assert isinstance(leadership(str(tmp_path / "bot.db")), Alone)
    assert Alone().leads()


class _HostClock:
    """A host's clock ``ahead`` of the real time (a replica whose NTP is off), in this process."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        return datetime.now(UTC) + self.ahead


def test_a_replica_whose_clock_is_3_minutes_ahead_keeps_the_databases_time(replicas):
    first, _ = replicas
    clock = DatabaseClock(_HostClock(timedelta(minutes=3)), first.database_time)
    assert clock.in_step()  # nothing measured yet: nothing to report
    clock.sync()
    database = datetime.fromtimestamp(first.database_time(), UTC)
    assert abs((clock.now() - database).total_seconds()) < 1
    assert 179 < (clock.skew or 0) < 181 and not clock.in_step()
    assert DatabaseClock(_HostClock(timedelta(seconds=2)), first.database_time).sync() is not None


def test_a_batch_slower_than_its_lease_never_sends_what_another_replica_took_over(replicas):
    first, second = replicas
    _queue_notices(first, 1)
    held = first.notices.claim(NOW, 10, "slow", NOW + LEASE)
    assert first.notices.renew_claim(held[0].id, "slow", NOW + 2 * LEASE)  # still its own: renewed
    later = NOW + LEASE + timedelta(seconds=1)  # the second notice's lease lapsed meanwhile
    taken = second.notices.claim(later, 10, "fast", later + LEASE)
    assert [n.id for n in taken] == [held[1].id]
    assert not first.notices.renew_claim(held[1].id, "slow", later + LEASE)  # the slow one skips it
    assert second.notices.renew_claim(held[1].id, "fast", later + LEASE)
    second.notices.mark_sent(held[1].id, later)
    assert not second.notices.renew_claim(held[1].id, "fast", later + LEASE)  # sent: never again


def test_every_session_carries_the_timeouts_that_free_a_frozen_replicas_locks(postgres):
    url = postgres.fresh()
    store, leader = Store(url), AdvisoryLeader(url)
    try:
        with store.connection() as conn:
            shown = {
                name: conn.execute(text(f"SHOW {name}")).scalar()
                for name in ("lock_timeout", "idle_in_transaction_session_timeout")
            }  # (the keepalives show 0 on the tests' Unix socket: they apply to TCP only)
        assert shown == {"lock_timeout": "3s", "idle_in_transaction_session_timeout": "10s"}
        assert leader.leads()
        assert leader._conn.execute("SHOW idle_session_timeout").fetchone()[0] == "20s"
    finally:
        store.close()
        leader.close()


def _hold_the_write_lock(url: str, seconds: float, *, commit: bool) -> threading.Thread:
    """Another replica's write transaction holding the write lock for ``seconds`` (then committed, or
    left open as by a frozen process). Returns once the lock is held."""
    import psycopg

    held = threading.Event()

    def hold() -> None:
        conn = psycopg.connect(url, options=session_options(SESSION_SETTINGS))
        try:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            held.set()
            time.sleep(seconds)
            if commit:
                conn.commit()
        finally:
            conn.close()  # a frozen one's session was ended by the server meanwhile: nothing to commit

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(10)
    return thread


def test_a_write_waits_again_past_lock_timeout_and_goes_through(postgres):
    url = postgres.fresh()
    repo = SqlRepository(url)
    try:
        holder = _hold_the_write_lock(url, 4.5, commit=True)  # longer than lock_timeout (3 s)
        request = repo.requests.add(sample_draft(4243, NOW), card_channel="COPS")
        assert repo.requests.get(request.id) is not None
        holder.join(10)
    finally:
        repo.close()


def test_a_frozen_replica_inside_a_write_loses_its_lock_and_a_write_never_waits_forever(
    postgres, monkeypatch
):
    url = postgres.fresh()
    repo = SqlRepository(url)
    try:
        _hold_the_write_lock(url, 15, commit=False)  # frozen: the server ends it after 10 s idle
        request = repo.requests.add(sample_draft(4244, NOW), card_channel="COPS")  # waits, then goes through
        assert repo.requests.get(request.id) is not None
        monkeypatch.setattr(store_module, "LOCK_PATIENCE", 0.5)
        busy = _hold_the_write_lock(url, 5, commit=True)
        with pytest.raises(StorageError, match=r"the database is busy .*nothing was changed, try again"):
            repo.requests.add(sample_draft(4245, NOW), card_channel="COPS")
        busy.join(10)  # its commit lands before the server goes with the test
    finally:
        repo.close()
