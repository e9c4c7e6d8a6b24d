"""The OVHcloud call budget: token bucket, short-lived cache, coalescing of identical reads."""

import re
import threading
import time

import pytest

from bot.adapters.ovh.gateway import OvhCredentials, SignedOvhGateway, make_client
from bot.demo.simulator import DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY
from bot.domain import OvhApiError, OvhNotFound
from bot.support.cache import ReadCache
from bot.support.window import RateLimited, SlidingWindow


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.slept = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept += seconds
        self.now += seconds


def test_cache_expires():
    t = FakeTime()
    cache = ReadCache(ttl_seconds=30, clock=t.clock)
    loads: list[int] = []

    def load():
        loads.append(1)
        return "v1"

    assert cache.get("k", load) == "v1"
    assert cache.get("k", lambda: "v2") == "v1"
    t.now += 31
    assert cache.get("k", lambda: "v3") == "v3"
    assert len(loads) == 1


def test_identical_concurrent_reads_make_one_call_and_share_errors():
    cache = ReadCache(ttl_seconds=30)
    release = threading.Event()
    calls = []

    def slow_load():
        calls.append(1)
        release.wait(5)
        raise OvhApiError("boom")

    outcomes = []

    def reader():
        try:
            cache.get("k", slow_load)
        except OvhApiError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    while not calls:
        pass
    release.set()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(outcomes) == 8
    assert cache.get("k", lambda: "fresh") == "fresh"  # errors are not cached


def gateway(simulator, limiter=None):
    client = make_client(
        OvhCredentials(simulator.url, DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY)
    )
    return SignedOvhGateway(client, limiter=limiter or SlidingWindow(6000))


@pytest.mark.parametrize(
    ("expansion", "calls"),
    [
        (True, 1 + 1 + 1 + 2),  # PCC, datacenters, global filers, 2 filer lists: objects at once
        (False, 1 + 1 + 2 + 1 + 2 + 5),  # and without expansion: 2 datacenters, 5 filers one by one
    ],
)
def test_repeated_and_concurrent_listings_cost_one_listing(simulator, expansion, calls):
    simulator.sim.expansion = expansion
    gw = gateway(simulator)

    def api_calls():
        return simulator.sim.calls_to("GET", "^/dedicatedCloud/")

    gw.filer_listing("pcc-192-0-2-15", None)
    one_listing = len(api_calls())
    threads = [threading.Thread(target=gw.filer_listing, args=("pcc-192-0-2-15", None)) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(api_calls()) == one_listing
    assert one_listing == calls


def test_task_reads_are_never_cached(simulator):
    gw = gateway(simulator)
    from bot.domain import MigrationSpec

    started = gw.start_migration(
        MigrationSpec("pcc-192-0-2-15", 1337, 1234, "pcc-192-0-2-50", 1515), "linkFilerFromSbg"
    )
    gw.get_task("pcc-192-0-2-50", started.task_id)
    gw.get_task("pcc-192-0-2-50", started.task_id)
    assert len(simulator.sim.calls_to("GET", r"/task/\d+$")) == 2


def test_every_call_takes_a_token_and_an_empty_budget_refuses_clearly(simulator):
    t = FakeTime()
    window = SlidingWindow(per_minute=3, clock=t.clock, sleep=t.sleep)
    gw = SignedOvhGateway(
        make_client(
            OvhCredentials(simulator.url, DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY)
        ),
        limiter=window,
        max_wait_seconds=0,
    )
    gw.get_pcc("pcc-192-0-2-15")
    gw.get_pcc("pcc-192-0-2-16")
    gw.get_pcc("pcc-192-0-2-17")
    with pytest.raises(OvhApiError) as refused:
        gw.get_pcc("pcc-192-0-2-50")
    said = str(refused.value)
    assert said.startswith("not sent: pcc-bot's OVHcloud call budget") and "No call was made" in said
    assert "OVHcloud API error" not in said and re.search(r"try again after \d\d:\d\d UTC", said)
    assert len([c for c in simulator.sim.calls if c.path.startswith("/dedicatedCloud")]) == 3


def test_window_allows_a_full_minute_at_once_and_never_more_in_any_minute():
    t = FakeTime()
    window = SlidingWindow(per_minute=60, clock=t.clock, sleep=t.sleep)
    stamps = []
    for _ in range(150):
        window.acquire(max_wait=120)
        stamps.append(t.now)
    assert stamps[59] == stamps[0]  # a burst of 60 goes out at once
    for i, start in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s - start < 60) <= 60


def test_window_refuses_past_the_allowed_wait():
    t = FakeTime()
    window = SlidingWindow(per_minute=1, clock=t.clock, sleep=t.sleep)
    window.acquire(max_wait=0)
    t.now += 20
    with pytest.raises(RateLimited, match="next place in 40 s"):
        window.acquire(max_wait=10)


def test_a_mutating_call_uses_the_reserve_and_never_fails_for_lack_of_budget():
    t = FakeTime()
    window = SlidingWindow(per_minute=10, clock=t.clock, sleep=t.sleep, reserve=2)
    for _ in range(8):
        window.acquire(max_wait=0)
    with pytest.raises(RateLimited):
        window.acquire(max_wait=0)  # reads stop at the reserve
    window.acquire(max_wait=0, mutating=True)
    window.acquire(max_wait=0, mutating=True)
    assert t.slept == 0  # the reserve: at once
    window.acquire(max_wait=90, mutating=True)  # the window is full: it waits, it does not fail
    assert 0 < t.slept <= 60


def test_a_mutating_call_that_cannot_go_out_in_time_is_not_sent_late():
    t = FakeTime()
    window = SlidingWindow(per_minute=2, clock=t.clock, sleep=t.sleep)
    window.acquire(max_wait=0, mutating=True)
    window.acquire(max_wait=0, mutating=True)
    with pytest.raises(RateLimited):
        window.acquire(max_wait=30, mutating=True)  # the next place comes in 60 s: past its deadline
    assert t.slept == 0


def test_a_closed_window_refuses_what_waits():
    window = SlidingWindow(per_minute=1)
    window.acquire(max_wait=0)
    window.close()
    with pytest.raises(RateLimited, match="stopping"):
        window.acquire(max_wait=30)


def test_a_person_alone_uses_every_read_place_and_people_who_wait_take_turns():
    t = FakeTime()
    window = SlidingWindow(per_minute=20, clock=t.clock, sleep=t.sleep, reserve=2)
    assert sum(window.try_acquire(who="UMALLORY") for _ in range(30)) == 17  # but the reserve and
    assert window.try_acquire(who="UDAVE")  # one place kept for whoever comes next
    t.now += 61  # the window is empty again; now Dave waits too
    turns = []
    with window.queued("UDAVE"), window.queued("UMALLORY"):
        for _ in range(6):
            turns += [who for who in ("UMALLORY", "UMALLORY", "UDAVE") if window.try_acquire(who=who)]
    assert turns == ["UMALLORY", "UDAVE"] * 6  # the less served goes first, whoever asks more often


def test_a_read_that_has_to_wait_is_told_once():
    t = FakeTime()
    window = SlidingWindow(per_minute=2, clock=t.clock, sleep=t.sleep)
    told: list[float] = []
    window.acquire(max_wait=0)
    window.acquire(max_wait=0)
    window.acquire(max_wait=120, on_wait=told.append)
    assert len(told) == 1 and told[0] == pytest.approx(60)


def test_an_unknown_name_is_remembered_briefly():
    t = FakeTime()
    cache = ReadCache(ttl_seconds=30, clock=t.clock, remember=(KeyError,), error_ttl_seconds=30)
    loads: list[int] = []

    def missing():
        loads.append(1)
        raise KeyError("nope")

    for _ in range(3):
        with pytest.raises(KeyError):
            cache.get("nope", missing)
    t.now += 31
    with pytest.raises(KeyError):
        cache.get("nope", missing)
    assert len(loads) == 2


def unknown() -> str:
    raise OvhNotFound("no such PCC")


def test_the_read_cache_keeps_at_most_its_bound_of_values_and_errors():
    cache = ReadCache(ttl_seconds=30, remember=(OvhNotFound,), max_entries=50)
    for n in range(500):
        cache.get(("pcc", n), lambda: "x" * 1000)
        with pytest.raises(OvhNotFound):
            cache.get(("nope", n), unknown)
    assert len(cache) == 100
    assert cache.get(("pcc", 499), lambda: "fresh") == "x" * 1000  # the newest are kept


def test_a_reader_that_joined_a_load_refused_by_the_budget_loads_again_itself():
    from bot.domain import BudgetSpent

    cache = ReadCache(ttl_seconds=30, unasked=(BudgetSpent,))
    started, release = threading.Event(), threading.Event()

    def impatient():  # a first answer that does not wait for the budget
        started.set()
        release.wait(5)
        raise BudgetSpent("GET /filer/1", None)

    refused: list[BaseException] = []

    def first() -> None:
        try:
            cache.get("k", impatient)
        except BudgetSpent as error:
            refused.append(error)

    leader = threading.Thread(target=first)
    leader.start()
    started.wait(5)
    joined: list[str] = []
    patient = threading.Thread(target=lambda: joined.append(cache.get("k", lambda: "read")))
    patient.start()
    time.sleep(0.05)  # the patient reader has joined the impatient load
    release.set()
    leader.join(5)
    patient.join(5)
    assert joined == ["read"] and len(refused) == 1


def test_mutating_calls_leave_reads_a_quarter_of_the_window_and_reads_in_it_may_use_the_reserve():
    t = FakeTime()
    window = SlidingWindow(60, t.clock, t.sleep, reserve=6)
    posted = 0
    while window.try_acquire(mutating=True):
        posted += 1
    assert posted == 45  # a dispatch fills three quarters of the minute
    reads = 0
    while window.try_acquire(who="UDAVE"):
        reads += 1
    assert reads == 15  # the reads' quarter, though 9 of its places are past the reads' 54
    assert not window.try_acquire(mutating=True)
