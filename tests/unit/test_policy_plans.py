"""The approval policy for plans and restores: a plan takes its strictest rule (approvals, ttl,
reasons), a batch restore matches operation "restore"."""

from datetime import timedelta

import pytest

from bot.adapters.slack import ids
from bot.domain import Conflict, NotAllowed, PlanState, State, UsageError
from bot.domain.policy import Verdict
from bot.domain.restore import RestoreSpec
from tests.unit.test_policy import _policy, _world, click
from tests.world import World


def test_a_plan_holding_an_hds_datastore_needs_the_hds_rule():
    world = _world()
    plan = world.service.plans.file_plan("pcc-src", 10, "pcc-dst", 20, (), "UALICE", "COPS")
    assert world.service.plans.approve(plan.id, "USEC").state == PlanState.PENDING
    assert world.gateway.posts == []
    said = [t for _, t, ts in world.notifier.texts if ts is not None and f"plan #{plan.id}" in t]
    assert said and "1 of 2 approval(s): <@USEC> · waiting for 1 more" in said[-1]
    with pytest.raises(NotAllowed, match="health data"):
        world.service.plans.approve(plan.id, "UCAROL")
    assert world.service.plans.approve(plan.id, "UDAVE").state == PlanState.APPROVED
    assert len(world.gateway.posts) == 2  # its two datastores, one POST each
    with pytest.raises(NotAllowed, match="health data"):  # in PCC_APPROVERS, not among the rule's
        world.service.plans.cancel_rest(plan.id, "UCAROL")
    with pytest.raises(Conflict, match="nothing left to cancel"):  # the rule's approver may: none left
        world.service.plans.cancel_rest(plan.id, "UDAVE")


def test_a_plan_stays_approvable_for_its_rules_ttl():
    policy = '[[rule]]\nname = "plans"\nmatch = { operation = "plan" }\nttl = "3h"\n'
    plan = World(approval_policy=_policy(policy)).service.plans.file_plan(
        "pcc-src", 10, "pcc-dst", 20, (), "UALICE", "COPS"
    )
    assert plan.expires_at - plan.created_at == timedelta(hours=3)
    plain = World().service.plans.file_plan("pcc-src", 10, "pcc-dst", 20, (), "UALICE", "COPS")
    assert plain.expires_at - plain.created_at == timedelta(days=1)  # PCC_APPROVAL_TTL


def test_a_plans_reject_asks_its_reason_and_tells_the_requester():
    world = _world()
    plan = world.service.plans.file_plan("pcc-src", 10, "pcc-dst", 20, (), "UALICE", "COPS")
    assert world.service.plans.asks_first(plan.id, Verdict.REJECT) == (True, None)
    with pytest.raises(UsageError, match="requires a reason to reject plan"):
        world.service.plans.reject(plan.id, "UBOB")
    assert world.service.plans.reject(plan.id, "UBOB", "not this week").state == PlanState.REJECTED
    dms = [t for c, t, _ in world.notifier.texts if c == "UALICE"]
    assert len(dms) == 1 and "was rejected by <@UBOB>" in dms[0] and "not this week" in dms[0]


def test_a_plans_reject_button_opens_the_modal_its_plans_rule_asks():
    world = _world()
    plan = world.service.plans.file_plan("pcc-src", 10, "pcc-dst", 20, (), "UALICE", "COPS")
    client = click(world, ids.REJECT_PLAN, plan.id)  # its id is a plan's: no request has it
    view = client.views_open.call_args.kwargs["view"]
    assert f"Reject plan #{plan.id}" in str(view) and world.repo.plans.get(plan.id).state == PlanState.PENDING


def test_a_batch_restore_follows_the_restore_rule_and_a_copy_does_not():
    policy = '[[rule]]\nname = "restores"\nmatch = { operation = ["restore"] }\napprovals = 2\n'
    world = World(approval_policy=_policy(policy))
    decide = world.service.decisions
    spec = RestoreSpec("pcc-dst", 20, "veeam-01")
    restore = world.service.restores.request_restore(spec, requester="UALICE", channel="COPS")
    assert decide.approve(restore.id, "UBOB").state == State.PENDING and world.gateway.restores == []
    assert decide.approve(restore.id, "UCAROL").state == State.REPLICATING
    assert len(world.gateway.restores) == 1
    assert decide.approve(world.file().id, "UBOB").state == State.REPLICATING  # a copy: one approval
