"""Filing and deciding: the use cases with in-memory fakes and a real in-memory SQLite database."""

import threading

import pytest

from bot.domain import (
    Conflict,
    MigrationSpec,
    NotAllowed,
    OvhApiError,
    RuleViolation,
    State,
    Task,
    ZonePolicy,
)
from tests.world import INCIDENT, SPEC, World


def test_a_valid_request_is_stored_and_its_card_posted(world):
    request = world.file()
    assert request.state == State.PENDING
    assert request.filer_name == "ssd-000100" and request.dest_zone == "rbx2a"
    assert [card.id for card in world.notifier.cards] == [request.id]
    assert request.card_ts is not None
    assert world.repo.audit.history(request.id)[0].action == "requested"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (MigrationSpec("pcc-nope", 10, 100, "pcc-dst", 20), "PCC pcc-nope not found"),
        (MigrationSpec("pcc-src", 99, 100, "pcc-dst", 20), "datacenter 99 not found in PCC pcc-src"),
        (MigrationSpec("pcc-src", 10, 999, "pcc-dst", 20), "filer 999 not found in datacenter 10"),
        (MigrationSpec("pcc-src", 10, 100, "pcc-dst", 77), "datacenter 77 not found in PCC pcc-dst"),
        (MigrationSpec("pcc-src", 10, 100, "pcc-sbg", 40), "destination pcc-sbg is in sbg1a"),
        (MigrationSpec("pcc-src", 10, 100, "pcc-nohds", 30), "source pcc-src has HDS enabled"),
        (MigrationSpec("pcc-dst", 20, 1, "pcc-nohds", 30), "filer 1 not found"),
    ],
)
def test_each_rule_refuses_and_nothing_is_stored(world, spec, expected):
    with pytest.raises(RuleViolation) as caught:
        world.file(spec)
    assert expected in str(caught.value)
    assert world.repo.requests.recent(10) == []
    assert world.notifier.cards == []


def test_allowed_zones_are_enforced():
    world = World(policy=ZonePolicy(allowed_zones=frozenset({"lim1c"})))
    with pytest.raises(RuleViolation, match="rbx2a, which is not an allowed zone"):
        world.file()


def test_one_active_request_per_filer(world):
    first = world.file()
    with pytest.raises(Conflict, match=f"#{first.id}"):
        world.file(MigrationSpec("pcc-src", 10, 100, "pcc-dst", 20), user="UDAVE")
    world.service.decisions.cancel(first.id, "UALICE")
    assert world.file().id != first.id


def test_the_requester_cannot_approve(world):
    request = world.file(user="UBOB")
    with pytest.raises(NotAllowed, match="yourself"):
        world.service.decisions.approve(request.id, "UBOB")
    assert world.gateway.posts == []


def test_a_non_approver_cannot_approve(world):
    request = world.file()
    with pytest.raises(NotAllowed, match="PCC_APPROVERS"):
        world.service.decisions.approve(request.id, "UMALLORY")
    assert world.repo.requests.get(request.id).state == State.PENDING


def test_a_user_group_member_can_approve(world):
    request = world.file()
    approved = world.service.decisions.approve(request.id, "UCAROL")
    assert approved.state == State.REPLICATING
    assert approved.decided_by == "UCAROL" and approved.task_id == 500
    assert world.gateway.posts == [SPEC]


def test_repeated_and_concurrent_approvals_post_once(world):
    request = world.file()
    barrier = threading.Barrier(8)
    outcomes = []

    def click(user):
        barrier.wait()
        try:
            world.service.decisions.approve(request.id, user)
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=click, args=(u,)) for u in ["UBOB", "UCAROL"] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    assert len(world.gateway.posts) == 1


def test_reject_is_final(world):
    request = world.file()
    world.service.decisions.reject(request.id, "UBOB")
    with pytest.raises(Conflict, match="was already rejected by UBOB") as caught:
        world.service.decisions.approve(request.id, "UCAROL")
    assert caught.value.markup == f"request #{request.id} was already rejected by <@UBOB>"
    assert world.gateway.posts == []
    assert world.notifier.updates[-1].state == State.REJECTED


def test_cancel_only_by_requester_or_approver_and_only_while_pending(world):
    request = world.file()
    with pytest.raises(NotAllowed, match="requester or an approver"):
        world.service.decisions.cancel(request.id, "UMALLORY")
    world.service.decisions.approve(request.id, "UBOB")
    with pytest.raises(Conflict, match="only a pending request"):
        world.service.decisions.cancel(request.id, "UALICE")


def test_an_expired_request_cannot_be_approved(world):
    request = world.file()
    world.clock.advance(days=1, seconds=1)
    with pytest.raises(Conflict, match="expired"):
        world.service.decisions.approve(request.id, "UBOB")
    assert world.repo.requests.get(request.id).state == State.EXPIRED
    assert world.gateway.posts == []


def test_a_refused_post_fails_the_request_with_the_query_id(world):
    world.gateway.post_error = OvhApiError("Got an invalid (or empty) URL", status=404, query_id="EU.q9")
    request = world.file()
    result = world.service.decisions.approve(request.id, "UBOB")
    assert result.state == State.FAILED
    thread = [text for channel, text, ts in world.notifier.texts if ts == request.card_ts]
    assert any("EU.q9" in text and "refused" in text for text in thread)
    assert any(channel == INCIDENT for channel, _, _ in world.notifier.texts)


def test_an_ambiguous_post_needs_attention_and_is_never_repeated(world):
    world.gateway.post_error = OvhApiError("timeout", ambiguous=True)
    request = world.file()
    assert world.service.decisions.approve(request.id, "UBOB").state == State.NEEDS_ATTENTION
    world.service.poll_once()
    world.service.poll_once()
    assert len(world.gateway.posts) == 1
    assert world.repo.requests.get(request.id).state == State.NEEDS_ATTENTION


def test_an_approver_closes_a_request_whose_task_never_appeared(world):
    world.gateway.post_error = OvhApiError("timeout", ambiguous=True)
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    with pytest.raises(NotAllowed):
        world.service.decisions.cancel(request.id, "UALICE")  # the requester is not an approver
    closed = world.service.decisions.cancel(request.id, "UCAROL")
    assert closed.state == State.FAILED
    assert any("closed by <@UCAROL>" in t for _, t, _ in world.notifier.texts)
    assert world.file(user="UDAVE").state == State.PENDING  # the filer is free again
    assert len(world.gateway.posts) == 1


def test_a_needs_attention_request_adopts_its_task_when_it_shows_up(world):
    world.gateway.post_error = OvhApiError("timeout", ambiguous=True)
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    world.gateway.tasks[777] = Task(
        777,
        "linkFilerFromSbg",
        "doing",
        10,
        filer_id=SPEC.filer_id,
        datacenter_id=SPEC.dest_datacenter_id,
        executed_at=world.clock.now(),
    )
    world.service.poll_once()
    adopted = world.repo.requests.get(request.id)
    assert adopted.state == State.REPLICATING and adopted.task_id == 777
    assert len(world.gateway.posts) == 1
