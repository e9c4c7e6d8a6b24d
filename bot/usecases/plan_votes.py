"""A plan's four eyes in one place: the rule it falls under (the strictest of its datastores'), who may
decide it, the reason that rule asks, the quorum, the rules checked again,
and what its approval records and says. ``Plans.approve`` asks for the vote once and launches what it
returns, as ``Decisions.approve`` does with a request's.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain import (
    AuditEntry,
    Conflict,
    LeftOut,
    NoticeDraft,
    NoticeKind,
    Plan,
    PlanDraft,
    PlanItem,
    PlanState,
    RequestDraft,
    RuleViolation,
)
from bot.domain.policy import Facts, PolicyOperation, Reason, Rule, Verdict
from bot.usecases import plan_messages, plan_scope
from bot.usecases.approvals import Approvals
from bot.usecases.family import Ports
from bot.usecases.filed import pair_problems
from bot.usecases.ports import PlanChange
from bot.usecases.records import BOT
from bot.usecases.stores import PlanWork, VoteStore


class PlanVotes:
    def __init__(self, ports: Ports, work: PlanWork, votes: VoteStore, approvals: Approvals) -> None:
        """``votes``: the approvals counted towards a plan's quorum (its requests' are Approvals')."""
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests, self._plans, self._notices = work
        self._votes = votes
        self._approvals = approvals  # who counts, the reason asked, the tally: as for a request
        self._settings = approvals.settings  # the policy, the rules' settings, the approval's TTL

    def rule(self, plan: PlanDraft) -> Rule | None:
        """The strictest rule among the plan's datastores (one HDS datastore: the HDS rule); None
        without a policy."""
        policy = self._settings.approval_policy
        if policy is None:
            return None
        certs = self._approvals.certifications(plan.source_service)
        src, dst = plan.source_service, plan.dest_service
        plan_facts = (Facts(PolicyOperation.PLAN, certs, item.size, src, dst) for item in plan.items)
        return policy.strictest(plan_facts)

    def check(self, plan: Plan, user: str, decision: str = "approve or reject") -> Rule | None:
        """Who may decide ``plan``, asked on every click: its rule's approvers (the Guard's check
        without a policy), never its requester."""
        return self._approvals.check_item(plan, self.rule(plan), user, decision)

    def asks_first(self, plan: Plan, verdict: Verdict) -> tuple[bool, str | None] | None:
        """Under a policy whose rule asks a reason: what the plan's button asks in a modal first."""
        asked = self._approvals.reason_asked(self.rule(plan), verdict)
        return None if asked == Reason.NONE else (asked == Reason.REQUIRED, None)

    # ------------------------------------------------------------ the vote

    def approve(self, plan: Plan, user: str, reason: str) -> PlanChange | None:
        """``user``'s approval of ``plan``: refused with why (not theirs to give, no reason where one is
        required, expired, no longer pending, the rules broken now); counted, None, while the quorum is
        not reached; else the change that approves the plan, its requests drafted for what is still
        free to copy (a datastore copied or held since the filing is left out)."""
        rule = self.check(plan, user, Verdict.APPROVE)
        reason = self._approvals.check_reason(rule, Verdict.APPROVE, reason, f"plan #{plan.id}")
        if self.expire_if_due(plan):
            raise plan_messages.expired(plan)
        if plan.state != PlanState.PENDING:
            raise plan_messages.already(plan)
        self._check_rules_again(plan)
        if rule is not None and not self._counted(plan, rule, user, reason):
            return None
        now = self._clock.now()
        where = (plan.source_service, plan.dest_service, plan.dest_datacenter_id)
        taken = plan_scope.taken(self._requests, self._plans, *where, plan.id)
        kept = [i for i in plan.items if i.filer_id not in taken]
        gone = [LeftOut(i.filer_id, i.name, taken[i.filer_id]) for i in plan.items if i.filer_id in taken]
        started = plan_messages.plan_started(plan, user, len(kept))
        consent = plan_messages.CONSENT if plan.uses_copy_filer else ""
        return PlanChange(
            actor=user,
            action="plan approved",
            detail="; ".join(filter(None, [consent, f"reason: {reason}" if reason else ""])),
            notices=[
                *self._chat.thread_and_room(plan.channel, "started", started),
                *self._decided(plan, user, PlanState.APPROVED, reason),
            ],
            items=[self._draft(plan, item, now) for item in kept],
            left_out=gone,
        )

    def reject(self, plan: Plan, user: str, reason: str) -> PlanChange:
        """``user``'s rejection: any approver who counts ends the plan (a reason where its rule asks)."""
        rule = self.check(plan, user)
        reason = self._approvals.check_reason(rule, Verdict.REJECT, reason, f"plan #{plan.id}")
        return PlanChange(
            actor=user,
            action="plan rejected",
            detail=f"reason: {reason}" if reason else "",
            notices=self._decided(plan, user, PlanState.REJECTED, reason),
        )

    def expire_if_due(self, plan: Plan) -> bool:
        """True when the pending plan is past its time (now recorded as expired, its board edited)."""
        if plan.state != PlanState.PENDING or self._clock.now() < plan.expires_at:
            return False
        change = PlanChange(actor=BOT, action="plan expired", detail=f"not approved by {plan.expires_at}")
        self._chat.move_plan(plan, PlanState.PENDING, PlanState.EXPIRED, change)
        return True

    def _check_rules_again(self, plan: Plan) -> None:
        """The zone and certification rules, as OVHcloud said lately (the cache's minute): the dispatch
        that follows reads them fresh before its first POST (usecases/dispatch.py)."""
        ovh = self._ovh
        source, dest = ovh.get_pcc(plan.source_service), ovh.get_pcc(plan.dest_service)
        problems = pair_problems(ovh, self._settings.policy, source, dest)
        if problems:
            raise RuleViolation(problems)

    def _counted(self, plan: Plan, rule: Rule, user: str, reason: str) -> bool:
        """Count ``user``'s approval (with its audit line): True once the quorum is reached; while it
        is not, the plan's thread says who is still needed."""
        subject = f"plan-{plan.id}"
        now, said = self._clock.now(), f"rule {rule.name!r}" + (f"; reason: {reason}" if reason else "")
        line = AuditEntry(
            None, now, user, "plan approval counted", PlanState.PENDING, None, said, None, plan.id
        )
        if not self._votes.add(subject, None, user, now, reason, line):
            tally = self._approvals.tally(plan, rule, subject)
            raise Conflict(f"you already approved plan #{plan.id}: {tally.plain}")
        tally = self._approvals.tally(plan, rule, subject)
        if tally.reached:
            return True
        text = plan_messages.approved_so_far(plan, user, rule.name, tally.words(), reason)
        drafts = self._chat.thread_and_room(plan.channel, f"approval-{user}", text, to_room=False)
        self._notices.queue_for_plan(plan.id, drafts, self._clock.now())
        self._chat.deliver()
        return False

    def _decided(self, plan: Plan, user: str, outcome: PlanState, reason: str) -> list[NoticeDraft]:
        """Under a policy: the plan's requester told by direct message, a reason also in its thread."""
        if self._settings.approval_policy is None:
            return []
        text = plan_messages.decided_dm(plan, user, outcome, reason)
        dm = NoticeDraft(NoticeKind.DIRECT, f"dm-{outcome}-{plan.requester}", plan.requester, text)
        if not reason:
            return [dm]
        said = plan_messages.reason_told(plan, user, outcome, reason)
        return [dm, *self._chat.thread_and_room(plan.channel, f"reason-{outcome}", said, to_room=False)]

    def _draft(self, plan: Plan, item: PlanItem, now: datetime) -> RequestDraft:
        spec = plan.spec(item)
        filed = replace(plan.filed(), created_at=now, expires_at=now + self._settings.approval_ttl)
        return RequestDraft.of(filed, spec, item, self._ovh.migration_call(spec, plan.route))
