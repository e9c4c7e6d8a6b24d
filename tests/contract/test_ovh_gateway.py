"""The OVHcloud adapter against the simulator, with real signed calls."""

import pytest

from bot.adapters.ovh.gateway import OvhCredentials, SignedOvhGateway, make_client
from bot.demo.simulator import DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY
from bot.domain import Certifications, MigrationSpec, NotFound, OvhApiError

SPEC = MigrationSpec("pcc-192-0-2-15", 1337, 1234, "pcc-192-0-2-50", 1515)


def gateway_for(simulator, route="linkFilerFromSbg", secret=DEMO_APPLICATION_SECRET, sleeps=None):
    client = make_client(OvhCredentials(simulator.url, DEMO_APPLICATION_KEY, secret, DEMO_CONSUMER_KEY))
    return SignedOvhGateway(
        client,
        migration_route=route,
        backoff_seconds=0.5,
        sleep=(sleeps.append if sleeps is not None else lambda _: None),
    )


def test_inventory_reads(simulator):
    gateway = gateway_for(simulator)
    pcc = gateway.get_pcc("pcc-192-0-2-15")
    assert (pcc.zone, pcc.description) == ("sbg1a", "Strasbourg production (HDS)")
    assert gateway.get_certifications("pcc-192-0-2-15") == Certifications(hds="enabled")
    assert gateway.get_certifications("pcc-192-0-2-17") == Certifications()  # 404: never subscribed
    listing = gateway.filer_listing("pcc-192-0-2-15", None)
    assert listing.pcc.zone == "sbg1a"
    dcs = listing.datacenters
    assert [dc.datacenter.datacenter_id for dc in dcs] == [1337, 1338]
    assert [f.name for f in dcs[0].filers] == ["ssd-001234", "ssd-001235", "nfs-001236"]
    assert dcs[0].filers[0].vm_total == 12 and dcs[0].filers[0].size == "3 TB"


def test_not_found_names_the_object_and_keeps_the_query_id(simulator):
    gateway = gateway_for(simulator)
    with pytest.raises(
        NotFound,
        match=r"filer 4 not found in datacenter 1337 of PCC pcc-192-0-2-15 "
        r"\(OVH query id EU\.ext-sim\.[0-9a-f]+\)",
    ):
        gateway.get_filer("pcc-192-0-2-15", 1337, 4)


def test_a_wrong_secret_is_refused_by_the_signature_check(simulator):
    gateway = gateway_for(simulator, secret="not-the-secret")
    with pytest.raises(OvhApiError) as caught:
        gateway.get_pcc("pcc-192-0-2-15")
    assert caught.value.status == 400 and caught.value.error_class == "INVALID_SIGNATURE"
    assert caught.value.query_id


@pytest.mark.parametrize("fault", [500, 503, 429, "drop", "invalid-json"])
def test_reads_are_retried_with_backoff(simulator, fault):
    sleeps: list[float] = []
    gateway = gateway_for(simulator, sleeps=sleeps)
    simulator.sim.inject("GET", r"^/dedicatedCloud/pcc-192-0-2-15$", fault, times=2)
    assert gateway.get_pcc("pcc-192-0-2-15").zone == "sbg1a"
    assert sleeps == [0.5, 1.0]


def test_reads_give_up_after_three_attempts(simulator):
    gateway = gateway_for(simulator)
    simulator.sim.inject("GET", r"^/dedicatedCloud/pcc-192-0-2-15$", 503, times=5)
    with pytest.raises(OvhApiError) as caught:
        gateway.get_pcc("pcc-192-0-2-15")
    assert caught.value.status == 503 and caught.value.query_id
    assert len(simulator.sim.calls_to("GET", r"^/dedicatedCloud/pcc-192-0-2-15$")) == 3


def test_the_migration_post_is_never_retried(simulator):
    gateway = gateway_for(simulator)
    simulator.sim.inject("POST", r"linkFilerFromSbg$", 503)
    with pytest.raises(OvhApiError) as caught:
        gateway.start_migration(SPEC, gateway.migration_route)
    assert caught.value.ambiguous
    assert len(simulator.sim.calls_to("POST", r"linkFilerFromSbg$")) == 1


def test_a_404_route_is_a_clear_refusal(simulator):
    gateway = gateway_for(simulator)
    with pytest.raises(OvhApiError) as caught:
        gateway.start_migration(
            MigrationSpec("pcc-192-0-2-15", 1337, 1234, "pcc-192-0-2-50", 9), "linkFilerFromSbg"
        )
    assert caught.value.status == 404 and not caught.value.ambiguous


@pytest.mark.parametrize(
    ("route", "body"),
    [("linkFilerFromSbg", '{"filerId":1234}'), ("copyFiler", '{"filerId":1234,"accept":true}')],
)
def test_both_generations_of_the_migration_call(simulator, route, body):
    gateway = gateway_for(simulator, route=route)
    started = gateway.start_migration(SPEC, gateway.migration_route)
    (call,) = simulator.sim.calls_to("POST", route)
    assert call.body == body
    task = gateway.get_task("pcc-192-0-2-50", started.task_id)
    assert task.state == "todo" and task.filer_id == 1234
    assert f"/{route} " in gateway.migration_call(SPEC, route)


def test_tasks_are_found_after_a_lost_answer(simulator):
    from datetime import UTC, datetime, timedelta

    gateway = gateway_for(simulator)
    started = gateway.start_migration(SPEC, gateway.migration_route)
    found = gateway.find_tasks("pcc-192-0-2-50", 1515, datetime.now(UTC) - timedelta(minutes=5))
    assert [t.task_id for t in found] == [started.task_id]


def test_an_unknown_endpoint_name_is_a_clear_error():
    with pytest.raises(OvhApiError, match="unknown OVH_ENDPOINT 'ovh-mars'"):
        make_client(OvhCredentials("ovh-mars", "a", "b", "c"))


def test_a_drifted_clock_is_resynced_instead_of_failing(simulator):
    import time

    gateway = gateway_for(simulator)
    assert gateway.get_pcc("pcc-192-0-2-15").zone == "sbg1a"  # time delta computed once, here
    simulator.sim.wall_clock = lambda: time.time() + 900  # the OVHcloud clock moves 15 minutes ahead
    assert gateway.get_pcc("pcc-192-0-2-16").zone == "sbg1a"
    assert len([c for c in simulator.sim.calls if c.status == 400]) == 1  # one refusal, then resynced
    assert len(simulator.sim.calls_to("GET", r"^/auth/time$")) == 2
    started = gateway.start_migration(SPEC, gateway.migration_route)
    assert started.task_id


def test_only_an_auth_layer_refusal_of_the_clock_is_resent(simulator):
    gateway = gateway_for(simulator)
    auth_layer = {
        "errorCode": "INVALID_SIGNATURE",
        "httpCode": "400 Bad Request",
        "message": "Invalid signature",
    }
    simulator.sim.inject("POST", r"linkFilerFromSbg$", 400, body=auth_layer)
    simulator.sim.inject("POST", r"linkFilerFromSbg$", 400, body=auth_layer)  # refused twice: final
    with pytest.raises(OvhApiError) as caught:
        gateway.start_migration(SPEC, gateway.migration_route)
    assert not caught.value.ambiguous
    assert len(simulator.sim.calls_to("POST", r"linkFilerFromSbg$")) == 2
    classic = {"class": "Client::BadRequest", "message": "QUERY_TIME_OUT"}
    simulator.sim.inject("POST", r"linkFilerFromSbg$", 400, body=classic)
    with pytest.raises(OvhApiError):
        gateway.start_migration(SPEC, gateway.migration_route)
    assert len(simulator.sim.calls_to("POST", r"linkFilerFromSbg$")) == 3  # not resent


def test_a_successful_mutating_call_keeps_its_query_id(simulator):
    gateway = gateway_for(simulator)
    started = gateway.start_migration(SPEC, gateway.migration_route)
    assert started.query_id and started.query_id.startswith("EU.ext-sim.")


def test_a_read_answered_429_waits_as_long_as_retry_after_says(simulator):
    sleeps: list[float] = []
    gateway = gateway_for(simulator, sleeps=sleeps)
    simulator.sim.inject("GET", r"^/dedicatedCloud/pcc-192-0-2-15$", 429, headers={"Retry-After": "7"})
    assert gateway.get_pcc("pcc-192-0-2-15").zone == "sbg1a"
    assert sleeps == [7.0]  # not the 0.5 s backoff


def test_a_list_that_misstates_its_size_is_read_in_a_bounded_number_of_pages(simulator):
    from bot.demo.simulator import large_pcc

    simulator.sim.inventory["pcc-192-0-2-99"] = large_pcc(120)
    simulator.sim.ignores_page_number = True  # every page is the first
    filers = r"/datacenter/2001/filer$"
    simulator.sim.inject("GET", filers, "headers", headers={"X-Pagination-Elements": "1000000"})
    client = make_client(
        OvhCredentials(simulator.url, DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY)
    )
    gateway = SignedOvhGateway(client, page_size=50, sleep=lambda _: None)
    listing = gateway.filer_listing("pcc-192-0-2-99", 2001)
    assert len(listing.datacenters[0].filers) == 50  # the one page the API really gave
    assert len(simulator.sim.calls_to("GET", filers)) == 2  # the second page repeated the first: stop


def test_a_clock_refusal_is_never_resent_after_the_calls_deadline(simulator):
    """Low 3: the POST waited 40 s of its 50 s for the budget, then OVHcloud refused its time; its
    resend would leave 60 s after the call began, past the 50 s allowed: it is not sent at all."""
    from bot.domain import BudgetSpent
    from bot.support.window import SlidingWindow
    from tests.helpers import BudgetTime

    time = BudgetTime()
    limiter = SlidingWindow(2, time.clock, time.sleep, reserve=1, window=60)
    client = make_client(
        OvhCredentials(simulator.url, DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY)
    )
    gateway = SignedOvhGateway(
        client, migration_route="linkFilerFromSbg", limiter=limiter, mutation_wait_seconds=50
    )
    assert limiter.try_acquire(mutating=True)
    time.sleep(20)
    assert limiter.try_acquire(mutating=True)  # the minute is full: the POST waits 40 s, a resend 20 more
    started = time.now
    refusal = {
        "errorCode": "INVALID_SIGNATURE",
        "httpCode": "400 Bad Request",
        "message": "Invalid signature",
    }
    simulator.sim.inject("POST", r"linkFilerFromSbg$", 400, body=refusal)
    with pytest.raises(BudgetSpent) as caught:
        gateway.start_migration(SPEC, gateway.migration_route)
    assert not caught.value.ambiguous  # said as not sent
    assert len(simulator.sim.calls_to("POST", r"linkFilerFromSbg$")) == 1  # the refused one only
    assert time.now - started <= 50
