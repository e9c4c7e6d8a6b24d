import pytest

from bot.domain import (
    IN_DOUBT_STATES,
    OPERATIONS,
    TRANSITIONS,
    Certifications,
    Conflict,
    Pcc,
    State,
    ZonePolicy,
    can_transition,
    check_transition,
    operation_in_doubt,
    rule_violations,
)

SBG = Pcc("pcc-src", "sbg1a")
RBX = Pcc("pcc-dst", "rbx2a")


NONE = Certifications()
ANY_ZONE = ZonePolicy()


def violations(source=SBG, dest=RBX, src=NONE, dst=NONE, policy=ANY_ZONE):
    found = rule_violations(source=source, source_certs=src, dest=dest, dest_certs=dst, policy=policy)
    return [str(text) for _, text in found]  # in English


def test_the_state_machine_of_design_md():
    assert can_transition(State.PENDING, State.APPROVED)
    assert can_transition(State.APPROVED, State.REPLICATING)
    assert can_transition(State.APPROVED, State.NEEDS_ATTENTION)
    assert can_transition(State.REPLICATING, State.DONE)
    assert can_transition(State.REPLICATING, State.FAILED)
    assert can_transition(State.PENDING, State.EXPIRED)


@pytest.mark.parametrize("final", [State.REMOVED, State.REJECTED, State.CANCELLED, State.EXPIRED])
def test_final_states_go_nowhere(final):
    assert final not in TRANSITIONS
    for target in State:
        assert not can_transition(final, target)


def test_a_failed_request_can_only_be_relaunched_and_a_done_one_only_cleaned_up():
    assert [s for s in State if can_transition(State.FAILED, s)] == [State.RELAUNCHING]
    assert [s for s in State if can_transition(State.DONE, s)] == [State.REMOVING]
    assert {s for s in State if can_transition(State.REMOVING, s)} == {
        State.REMOVED,
        State.DONE,
        State.REMOVAL_IN_DOUBT,
    }


def test_every_mutating_operation_has_an_in_doubt_state_the_poller_owns():
    for operation in OPERATIONS:
        assert can_transition(operation.origin, operation.calling)
        for outcome in (operation.refused, operation.in_doubt):
            assert can_transition(operation.calling, outcome)
        assert operation.in_doubt in IN_DOUBT_STATES
        assert can_transition(operation.in_doubt, operation.success)
        assert can_transition(operation.in_doubt, operation.not_started)
        assert operation_in_doubt(operation.in_doubt, operation) is operation


def test_an_approval_cannot_skip_pending_or_come_back():
    with pytest.raises(Conflict, match="rejected cannot become approved"):
        check_transition(State.REJECTED, State.APPROVED)
    assert not can_transition(State.REPLICATING, State.PENDING)


def test_a_valid_pair_breaks_no_rule():
    assert violations() == []


def test_source_outside_the_source_zone_is_named():
    assert violations(source=Pcc("pcc-x", "rbx2a"), dest=Pcc("pcc-y", "lim1c")) == [
        "source pcc-x is in rbx2a, but sources must be in sbg1a"
    ]


def test_destination_in_sbg1a_is_named():
    assert violations(dest=Pcc("pcc-x", "sbg1a")) == [
        "destination pcc-x is in sbg1a: the destination must be outside sbg1a"
    ]


def test_destination_outside_allowed_zones_is_named():
    policy = ZonePolicy(allowed_zones=frozenset({"lim1c", "eri1c"}))
    assert violations(policy=policy) == [
        "destination pcc-dst is in rbx2a, which is not an allowed zone (eri1c, lim1c)"
    ]
    assert violations(dest=Pcc("pcc-l", "lim1c"), policy=policy) == []


@pytest.mark.parametrize(
    ("src", "option"), [(Certifications(hds="enabled"), "HDS"), (Certifications(pcidss="enabled"), "PCI-DSS")]
)
def test_certification_must_carry_over(src, option):
    assert violations(src=src) == [f"source pcc-src has {option} enabled, destination pcc-dst does not"]
    assert violations(src=src, dst=src) == []


def test_every_broken_rule_is_listed_at_once():
    found = violations(dest=Pcc("pcc-src", "sbg1a"), src=Certifications(hds="enabled", pcidss="enabled"))
    assert len(found) == 4


@pytest.mark.parametrize("state", ["enabling", "disabling", "migrating", "error", "unknown"])
def test_an_option_in_between_cannot_be_judged_on_either_side(state):
    assert violations(src=Certifications(hds=state)) == [
        f"source pcc-src has HDS `{state}`: only enabled or disabled can be judged; file again once "
        "OVHcloud has settled it"
    ]
    refused = violations(src=Certifications(pcidss="enabled"), dst=Certifications(pcidss=state))
    assert refused == [
        f"destination pcc-dst has PCI-DSS `{state}`: only enabled or disabled can be judged; file again "
        "once OVHcloud has settled it"
    ]
    assert violations(dst=Certifications(hds=state)) != []  # a source without it still cannot judge
