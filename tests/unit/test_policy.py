"""The approval policy (PCC_POLICY): parsed and checked at start, one line per problem; matched per
decision; a quorum of distinct approvers who count now, one POST when the last needed one lands."""

import re
from datetime import timedelta
from unittest.mock import Mock

import pytest
from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.adapters.slack import ids
from bot.adapters.slack.cards import card_message
from bot.domain import RELAUNCH, REMOVAL, Conflict, MigrationSpec, NotAllowed, OvhApiError, State, UsageError
from bot.domain.policy import Policy
from bot.domain.policy_file import parse_policy
from bot.support.i18n import shown
from handlers import actions, reasons
from tests.unit.test_catalogue import english_words
from tests.unit.test_listeners import context
from tests.world import World


def quorum(request, locale: str = "en") -> str:
    """The quorum line as the card shows it (stored in no language)."""
    return shown(request.quorum or "", locale)


def card_text(request) -> str:
    return str(card_message(request))


HDS_POLICY = """
[[rule]]
name = "health data"
match = { certification = ["hds", "pci-dss"], operation = ["copy", "plan"] }
approvals = 2
approvers = ["UBOB", "UDAVE", "SOPS", "SSECURITY"]
at_least_one_of = ["SSECURITY"]
reason = { approve = "optional", reject = "required" }
ttl = "24h"
remind_after = "2h"
escalate_to = ["SONCALL"]

[[rule]]
name = "everything else"
approvals = 1
"""


def _policy(text: str = HDS_POLICY) -> Policy:
    policy, problems = parse_policy(text)
    assert problems == []
    return policy


# ------------------------------------------------------------ the quorum, on the use cases


def _world() -> World:
    world = World(approval_policy=_policy())
    world.directory.groups.update({"SSECURITY": frozenset({"USEC", "UERIN"}), "SOPS": frozenset({"UOPS"})})
    return world


def click(world: World, action_id: str, request_id: int, user: str = "UBOB") -> Mock:
    """A click on a request's button through the listener; the Slack client it was handed."""
    client = Mock(spec=WebClient)
    body = {"user": {"id": user}, "trigger_id": "1.2.y", "response_url": "http://127.0.0.1:1/r"}
    action = {"action_id": action_id, "value": str(request_id)}
    actions.on_click(
        ack=Mock(spec=Ack),
        body=body,
        action=action,
        respond=Mock(spec=Respond),
        context=context(world),
        client=client,
    )
    return client


def test_no_policy_keeps_todays_rule():
    world = World()
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    assert len(world.gateway.posts) == 1 and world.repo.votes.of(f"approve-{request.id}") == []


def test_two_approvals_one_from_security_then_one_post():
    world = _world()
    request = world.file()
    decide = world.service.decisions
    after = decide.approve(request.id, "UBOB")
    assert after.state == State.PENDING and world.gateway.posts == []
    assert quorum(after) == "1 of 2 approval(s): <@UBOB> · waiting for one from <!subteam^SSECURITY>"
    assert "waiting for one from" in quorum(world.notifier.updates[-1])  # the card was edited
    with pytest.raises(Conflict, match="already approved"):
        decide.approve(request.id, "UBOB")  # the same person again
    with pytest.raises(NotAllowed, match="yourself"):
        decide.approve(request.id, "UALICE")
    with pytest.raises(NotAllowed, match="health data"):
        decide.approve(request.id, "UCAROL")  # an approver of PCC_APPROVERS, not of this rule
    after = decide.approve(request.id, "UOPS")  # a second approval, but nobody from security yet
    assert after.state == State.PENDING and world.gateway.posts == []
    assert quorum(after).startswith("2 of 2 approval(s)") and "waiting for one from" in quorum(after)
    after = decide.approve(request.id, "USEC")
    assert after.state == State.REPLICATING and len(world.gateway.posts) == 1
    actions = [e.action for e in world.repo.audit.history(request.id)]
    assert actions.count("approval counted") == 3 and actions[-2:] == ["approved", "migration started"]


def test_a_member_removed_from_the_group_stops_counting():
    world = _world()
    request = world.file()
    world.service.decisions.approve(request.id, "USEC")
    world.directory.groups["SSECURITY"] = frozenset({"UERIN"})  # USEC leaves the security group
    after = world.service.decisions.approve(request.id, "UBOB")
    assert after.state == State.PENDING and world.gateway.posts == []
    assert quorum(after) == "1 of 2 approval(s): <@UBOB> · waiting for one from <!subteam^SSECURITY>"
    assert world.service.decisions.approve(request.id, "UERIN").state == State.REPLICATING
    assert len(world.gateway.posts) == 1


def test_the_app_home_lists_what_waits_for_the_rules_approvers():
    world = _world()  # the HDS rule counts UBOB, UDAVE, SOPS and SSECURITY; PCC_APPROVERS: UBOB, SONCALL
    request = world.file()
    waiting = {u: world.service.reading.home(u).to_approve for u in ("UDAVE", "UCAROL", "UBOB", "UALICE")}
    assert [r.id for r in waiting["UDAVE"]] == [request.id] == [r.id for r in waiting["UBOB"]]
    assert waiting["UCAROL"] == () and waiting["UALICE"] == ()  # not counted by the rule; the requester


def test_settling_a_call_in_doubt_is_for_the_rules_approvers():
    world = _world()  # the HDS rule counts UBOB, UDAVE, SOPS and SSECURITY; PCC_APPROVERS: UBOB, SONCALL
    world.gateway.post_error = OvhApiError("timeout", ambiguous=True)
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    world.service.decisions.approve(request.id, "USEC")  # the quorum: the call, which goes in doubt
    assert world.repo.requests.get(request.id).state == State.NEEDS_ATTENTION
    with pytest.raises(NotAllowed, match="health data"):  # in PCC_APPROVERS, not among the rule's
        world.service.decisions.close_not_started(request.id, "UCAROL")
    assert world.service.decisions.close_not_started(request.id, "UDAVE").state == State.FAILED


def test_any_counted_approver_rejects_and_an_outsider_cannot():
    world = _world()
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    with pytest.raises(NotAllowed):
        world.service.decisions.reject(request.id, "UCAROL")
    assert world.service.decisions.reject(request.id, "UDAVE", "not now").state == State.REJECTED
    with pytest.raises(Conflict):
        world.service.decisions.approve(request.id, "USEC")
    assert world.gateway.posts == []


def test_policy_command_shows_the_rules_and_the_one_a_request_falls_under():
    world = _world()
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    text = world.service.approvals.describe("UBOB", request.id)
    assert "1. *health data*" in text and "2. *everything else*" in text
    assert f"Request #{request.id} falls under *health data*" in text
    assert "Now: 1 of 2 approval(s): <@UBOB>" in text
    assert "No approval policy" in World().service.approvals.describe("UBOB")
    french = world.service.approvals.describe("UBOB", request.id, "fr")
    assert f"La demande #{request.id} relève de *health data*" in french
    assert "1 approbation(s) sur 2 : <@UBOB>" in french
    assert english_words(re.sub(r"\*[^*]*\*", "", french)) == [], french  # rule names are the file's


def test_retry_and_remove_copy_follow_their_own_rules():
    policy = (
        '[[rule]]\nname = "irreversible"\nmatch = { operation = ["retry", "remove copy"] }\napprovals = 2\n'
    )
    world = World(approval_policy=_policy(policy))
    decide = world.service.decisions
    request = decide.approve(world.file().id, "UBOB")  # the copy: no rule matches, one approval
    assert len(world.gateway.posts) == 1
    world.gateway.set_task(request.task_id, "error")
    world.service.poll_once()
    assert decide.decide(request.id, RELAUNCH, "UBOB").state == State.FAILED and world.gateway.resets == []
    assert (
        decide.decide(request.id, RELAUNCH, "UCAROL").state == State.REPLICATING
        and len(world.gateway.resets) == 1
    )
    world.gateway.set_task(request.task_id, "done", 100)
    for _ in range(2):
        world.clock.advance(seconds=60)
        world.service.poll_once()
    assert world.repo.requests.get(request.id).state == State.DONE
    with pytest.raises(UsageError, match="type restore-000100 exactly"):
        decide.decide(request.id, REMOVAL, "UCAROL", "restore-000101")  # the step-up: the name typed again
    assert decide.decide(request.id, REMOVAL, "UCAROL", "restore-000100").state == State.DONE
    assert world.gateway.removals == []
    assert decide.decide(request.id, REMOVAL, "UBOB", "restore-000100").state == State.REMOVING
    assert world.gateway.removals == [900]
    audit = {e.action: e.detail for e in world.repo.audit.history(request.id)}
    assert audit["retry approved"] == audit["task relaunched"] == f"resetTaskState on task {request.task_id}"
    called = "removeFiler on restore-000100 (filer 900)"  # the decision names the call it approves
    assert audit["copy removal approved"] == audit["copy removal started"] == called
    assert world.gateway.resets == [
        (request.task_id, f"pcc-bot request #{request.id}: relaunch approved by UCAROL (attempt 1)")
    ]


def test_a_required_reason_to_reject_reaches_the_card_the_thread_the_requester_and_the_audit():
    world = _world()
    request = world.file()
    with pytest.raises(UsageError, match="requires a reason to reject"):
        world.service.decisions.reject(request.id, "UBOB")
    assert world.repo.requests.get(request.id).state == State.PENDING
    rejected = world.service.decisions.reject(
        request.id, "UBOB", "  the destination is not\nHDS-audited yet "
    )
    assert (
        rejected.state == State.REJECTED
        and rejected.decision_reason == "the destination is not HDS-audited yet"
    )
    assert "reason: the destination is not HDS-audited yet" in card_text(world.notifier.updates[-1])
    dms = [t for c, t, _ in world.notifier.texts if c == "UALICE"]
    assert len(dms) == 1 and "was rejected by <@UBOB>" in dms[0] and "HDS-audited" in dms[0]
    assert any(ts == request.card_ts and "HDS-audited" in t for _, t, ts in world.notifier.texts)
    (line,) = [e for e in world.repo.audit.history(request.id) if e.action == "rejected"]
    assert line.detail == "reason: the destination is not HDS-audited yet"
    world.service.reading.export_audit(30, "UBOB")
    (_, _, csv) = world.notifier.uploads[-1]
    assert "reason: the destination is not HDS-audited yet" in csv


def test_the_requester_is_told_by_direct_message_of_each_decision_once():
    world = _world()
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB", "ok for me")
    world.service.decisions.approve(request.id, "USEC")
    world.service.deliver_notices()
    dms = [t for c, t, _ in world.notifier.texts if c == "UALICE"]
    assert len(dms) == 1 and "was approved by <@USEC>" in dms[0]
    expiring = world.file(MigrationSpec("pcc-src", 10, 101, "pcc-dst", 20))
    world.clock.advance(seconds=2 * 86400)
    world.service.poll_once()
    assert world.repo.requests.get(expiring.id).state == State.EXPIRED
    dms = [t for c, t, _ in world.notifier.texts if c == "UALICE"]
    assert len(dms) == 2 and f"request #{expiring.id}" in dms[1] and "expired" in dms[1]


def test_a_click_whose_rule_asks_a_reason_opens_a_modal_whose_submission_decides():
    world = _world()
    request = world.file()
    client = click(world, ids.REJECT, request.id)
    assert world.repo.requests.get(request.id).state == State.PENDING  # nothing decided yet
    view = client.views_open.call_args.kwargs["view"]
    (field,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["optional"] is False and view["callback_id"] == ids.REASON_FORM  # Slack refuses it empty
    view["state"] = {"values": {ids.REASON_INPUT: {ids.REASON_INPUT: {"value": "wrong destination"}}}}
    ack = Mock(spec=Ack)
    reasons.on_reason(ack=ack, body={"user": {"id": "UBOB"}}, view=view, context=context(world))
    ack.assert_called_once_with()
    rejected = world.repo.requests.get(request.id)
    assert rejected.state == State.REJECTED and rejected.decision_reason == "wrong destination"


def test_no_policy_no_modal():
    world = World()
    request = world.file()
    client = click(world, ids.APPROVE, request.id)
    client.views_open.assert_not_called()
    assert world.repo.requests.get(request.id).state == State.REPLICATING


def test_approvers_are_told_once_reminded_then_the_escalation_asked_on_the_fake_clock():
    world = _world()
    request = world.file()

    def dms():
        return sorted((c, t.split(" ")[0]) for c, t, _ in world.notifier.texts if c.startswith("U"))

    world.service.poll_once()
    world.service.poll_once()  # nothing twice
    waiting = [(u, ":inbox_tray:") for u in ("UBOB", "UDAVE", "UERIN", "UOPS", "USEC")]
    assert dms() == waiting  # each approver who counts, once; never the requester, nor UCAROL yet
    assert all(
        f"/p{request.card_ts.replace('.', '')}" in t for c, t, _ in world.notifier.texts if c == "UBOB"
    )
    world.service.decisions.approve(request.id, "UBOB")
    world.clock.advance(seconds=2 * 3600 - 60)
    world.service.poll_once()
    assert dms() == waiting  # not yet two hours
    world.clock.advance(seconds=60)
    world.service.poll_once()
    reminded = [(u, ":alarm_clock:") for u in ("UDAVE", "UERIN", "UOPS", "USEC")]  # not UBOB: approved
    assert dms() == sorted(waiting + reminded)
    world.clock.advance(seconds=2 * 3600)
    world.service.poll_once()
    world.service.poll_once()
    assert dms() == sorted([*waiting, *reminded, ("UCAROL", ":rotating_light:")])


def test_a_rules_ttl_sets_how_long_its_requests_stay_approvable():
    world = World(
        approval_policy=_policy('[[rule]]\nname = "short"\nmatch = { certification = "hds" }\nttl = "2h"\n')
    )
    request = world.file()
    assert request.expires_at - request.created_at == timedelta(hours=2)
    plain = World(
        approval_policy=_policy('[[rule]]\nname = "short"\nmatch = { certification = "none" }\nttl = "2h"\n')
    )
    other = plain.file()
    assert other.expires_at - other.created_at == timedelta(days=1)  # PCC_APPROVAL_TTL


def test_remove_copy_under_a_policy_asks_the_name_typed_again_in_a_modal():
    world = World(approval_policy=_policy('[[rule]]\nname = "all"\n'))
    request = world.service.decisions.approve(world.file().id, "UBOB")
    world.gateway.set_task(request.task_id, "done", 100)
    for _ in range(2):
        world.clock.advance(seconds=60)
        world.service.poll_once()
    client = click(world, ids.REMOVE_COPY, request.id)
    view = client.views_open.call_args.kwargs["view"]
    assert "Type restore-000100 to confirm" in str(view) and world.gateway.removals == []
    for typed, said, removed in (("restore-000101", "errors", []), ("restore-000100", None, [900])):
        view["state"] = {"values": {ids.REASON_INPUT: {ids.REASON_INPUT: {"value": typed}}}}
        ack = Mock(spec=Ack)
        reasons.on_reason(ack=ack, body={"user": {"id": "UBOB"}}, view=view, context=context(world))
        assert ack.call_args.kwargs.get("response_action") == said  # a wrong name: shown on the field
        assert world.gateway.removals == removed


def test_an_unreachable_ovhcloud_delays_the_approvers_messages_and_stops_nothing(monkeypatch):
    world = _world()
    world.file()

    def down(service):
        raise OvhApiError("network failure (timeout)", ambiguous=True)

    monkeypatch.setattr(world.gateway, "get_certifications", down)
    world.service.poll_once()  # the rest of the tick runs; the messages wait
    assert not [c for c, _, _ in world.notifier.texts if c.startswith("U")]
    monkeypatch.undo()
    world.service.poll_once()
    assert len([c for c, _, _ in world.notifier.texts if c.startswith("U")]) == 5
