"""Plans: a whole datacenter (or the datastores listed) under one four-eyes decision.

Filing reads the source datacenter once and says, for each datastore, whether it is copied or why not.
Approval is one compare-and-set that creates a pending request per datastore in the same transaction;
the dispatcher then sends each one's POST through the gate (``Decisions.launch``): at most one call per
datastore whatever the clicks, and a dispatch cut by a crash resumes with what is still pending. The
plan's card is its board; the incident room gets the start, each failure and one summary.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import replace

from bot.domain import (
    Field,
    PccBotError,
    Plan,
    PlanDraft,
    PlanState,
    PlanTally,
    RuleViolation,
    State,
)
from bot.domain.policy import Verdict
from bot.support.i18n import _
from bot.usecases import plan_messages, plan_scope
from bot.usecases.dispatch import Dispatch
from bot.usecases.family import Ports
from bot.usecases.filed import Findings, filed_now, pair_problems
from bot.usecases.guard import Guard
from bot.usecases.plan_votes import PlanVotes
from bot.usecases.ports import Change, PlanChange
from bot.usecases.reading import named_filers
from bot.usecases.records import BOT, require_plan
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import PlanWork
from bot.usecases.warm_lists import Background

log = logging.getLogger(__name__)


class Plans:
    def __init__(
        self,
        ports: Ports,
        work: PlanWork,
        *,
        settings: ServiceSettings,
        guard: Guard,
        dispatch: Dispatch,
        background: Background,
        votes: PlanVotes,
    ) -> None:
        """``dispatch``: what sends an approved plan's datastores, each through the gate."""
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests, self._plans = work.requests, work.plans
        self._settings, self._guard = settings, guard
        self._votes = votes  # a plan's four eyes: its rule, who counts, the quorum (PCC_POLICY)
        self._background = background
        self._dispatcher = dispatch
        self._dispatching: set[int] = set()  # plans this process is dispatching now
        self._lock = threading.Lock()

    # ------------------------------------------------------------ filing

    def file_plan(
        self,
        source: str,
        source_dc: int,
        dest: str,
        dest_dc: int,
        filer_ids: Iterable[int],
        requester: str,
        channel: str,
    ) -> Plan:
        """Read the source datacenter once, check the rules, and post the plan's card: every datastore
        (or the listed ones) included or left out with its reason."""
        self._guard.refuse_if_read_only("filing a plan")
        self._guard.check_reader(requester, "the datastores of a PCC")  # its card lists the datacenter
        wanted = tuple(dict.fromkeys(filer_ids))
        findings = Findings()
        look = findings.look
        ovh = self._ovh
        source_pcc = look(Field.SOURCE, lambda: ovh.get_pcc(source))
        dest_pcc = look(Field.DESTINATION, lambda: ovh.get_pcc(dest))
        listing = (
            look(Field.SOURCE_DATACENTER, lambda: named_filers(ovh, source, source_dc, wanted))
            if source_pcc
            else None
        )
        if dest_pcc:
            look(Field.DESTINATION_DATACENTER, lambda: ovh.get_datacenter(dest, dest_dc))
        if source_pcc is None or dest_pcc is None or listing is None or findings.problems:
            raise RuleViolation(findings.problems)
        problems = pair_problems(self._ovh, self._settings.policy, source_pcc, dest_pcc)
        filers = {f.filer_id: f for f in listing}
        unknown = [i for i in wanted if i not in filers]
        problems += [
            (Field.FILER, f"filer {i} not found in datacenter {source_dc} of {source}") for i in unknown
        ]
        if problems:
            raise RuleViolation(problems)
        chosen = [filers[i] for i in wanted] if wanted else sorted(filers.values(), key=lambda f: f.filer_id)
        items, left_out = plan_scope.sort(self._requests, self._plans, source, dest, dest_dc, chosen)
        if not items:
            reasons = (
                "; ".join(f"{x.name}: {x.reason}" for x in left_out) or "the datacenter has no datastore"
            )
            raise plan_messages.nothing_to_copy(source_dc, source, reasons)
        filed = filed_now(
            self._clock, self._settings, requester, channel, (source_pcc, dest_pcc), ovh.migration_route
        )
        draft = PlanDraft(
            **vars(filed),
            source_service=source,
            source_datacenter_id=source_dc,
            dest_service=dest,
            dest_datacenter_id=dest_dc,
            items=tuple(items),
            left_out=tuple(left_out),
        )
        rule = self._votes.rule(draft)
        if rule is not None and rule.ttl is not None:  # its rule says how long it stays approvable
            draft = replace(draft, expires_at=draft.created_at + rule.ttl)
        plan = self._plans.add(draft)
        log.info(
            "plan #%d filed by %s: %d datastore(s), %d left out",
            plan.id,
            requester,
            len(items),
            len(left_out),
        )
        self._chat.deliver()
        return plan

    # ------------------------------------------------------------ decisions

    def approve(self, plan_id: int, user: str, reason: str = "") -> Plan:
        """Four eyes, as for a request (the vote: usecases/plan_votes.py); the winner's click creates the
        plan's requests and starts their dispatch."""
        self._guard.refuse_if_paused(_("approving plan #{id}", id=plan_id))
        plan = require_plan(self._plans, plan_id)
        decision = self._votes.approve(plan, user, reason)
        if decision is None:  # counted; the quorum is not reached yet: nothing is sent
            return require_plan(self._plans, plan_id)
        if not self.launch(plan, decision):
            raise plan_messages.already(require_plan(self._plans, plan_id))
        log.info("plan #%d approved by %s", plan_id, user)
        return require_plan(self._plans, plan_id)

    def launch(self, plan: Plan, decision: PlanChange) -> bool:
        """The approval's compare-and-set (its requests created in the same transaction), then the
        dispatch: False when another click won, and nothing was sent."""
        if not self._chat.move_plan(plan, PlanState.PENDING, PlanState.APPROVED, decision):
            return False
        self.dispatch_later(plan.id)
        return True

    def asks_first(self, plan_id: int, verdict: Verdict) -> tuple[bool, str | None] | None:
        """Under a policy whose rule asks a reason: what the plan's button asks in a modal first."""
        if self._settings.approval_policy is None:
            return None
        return self._votes.asks_first(require_plan(self._plans, plan_id), verdict)

    def reject(self, plan_id: int, user: str, reason: str = "") -> Plan:
        plan = require_plan(self._plans, plan_id)
        if not self._chat.move_plan(
            plan, PlanState.PENDING, PlanState.REJECTED, self._votes.reject(plan, user, reason)
        ):
            raise plan_messages.already(require_plan(self._plans, plan_id))
        return require_plan(self._plans, plan_id)

    def withdraw(self, plan_id: int, user: str) -> Plan:
        """`/pcc cancel plan N`: the requester (or an approver) withdraws a pending plan; its datastores
        are free again."""
        plan = require_plan(self._plans, plan_id)
        if user != plan.requester and not self._guard.is_approver(user, fresh=True):
            raise plan_messages.not_withdrawable_by(plan_id)
        if plan.state != PlanState.PENDING:
            raise plan_messages.not_pending(plan)
        change = PlanChange(actor=user, action="plan withdrawn")
        if not self._chat.move_plan(plan, PlanState.PENDING, PlanState.CANCELLED, change):
            raise plan_messages.already(require_plan(self._plans, plan_id))
        return require_plan(self._plans, plan_id)

    def cancel_rest(self, plan_id: int, user: str) -> int:
        """Stop the datastores whose POST is not sent yet (each by compare-and-set: one the dispatcher
        has just taken goes on); returns how many were stopped."""
        plan = require_plan(self._plans, plan_id)
        self._votes.check(plan, user, "cancel the rest of")  # its rule's approvers
        if plan.state != PlanState.APPROVED:
            raise plan_messages.not_dispatching(plan)
        stopped = 0
        for item in self._plans.items(plan_id):
            change = Change(actor=user, action="cancelled", detail=f"the rest of plan #{plan_id}")
            if item.state == State.PENDING and self._chat.move(
                item, State.PENDING, State.CANCELLED, change, deliver=False
            ):
                stopped += 1
        log.info("plan #%d: %d datastore(s) cancelled by %s", plan_id, stopped, user)
        if not stopped:  # the click is answered: nothing changed on the board
            raise plan_messages.nothing_left(plan_id)
        said = PlanChange(actor=user, action="plan: the rest cancelled", detail=f"{stopped} datastore(s)")
        self._chat.move_plan(plan, PlanState.APPROVED, PlanState.APPROVED, said)
        return stopped

    # ------------------------------------------------------------ dispatch, and the scheduler's part

    def dispatch_later(self, plan_id: int) -> None:
        """Dispatch the plan's pending datastores away from the caller's thread, once per process at a
        time (across processes the gate's compare-and-set keeps each call single)."""
        with self._lock:
            if plan_id in self._dispatching:
                return
            self._dispatching.add(plan_id)

        def run() -> None:
            try:
                plan_scope.leave_out_copied(
                    self._requests, self._plans, self._chat, require_plan(self._plans, plan_id)
                )
            except PccBotError as error:  # the dispatch goes on; the next one checks again
                log.warning("plan #%d: datastores copied meanwhile not checked: %s", plan_id, error)
            self._dispatch(plan_id)

        self._background(run)

    def _dispatch(self, plan_id: int) -> None:
        """One pass of the dispatch (usecases/dispatch.py): the pause, the expiry and the rules asked
        before each POST; a pass that stops is resumed by the tick."""
        try:
            self._dispatcher.run(require_plan(self._plans, plan_id))
        finally:
            with self._lock:
                self._dispatching.discard(plan_id)
            self._chat.refresh_plan(plan_id, at_once=True)
            self._chat.deliver()

    def release_held(self, user: str) -> int:
        """`/pcc resume`: the datastores a stopped dispatch holds are queued again, and this replica's
        dispatches go on at once (the others' at their next tick); how many were held."""
        approved = self._plans.in_states([PlanState.APPROVED])
        released = self._dispatcher.release(approved, user)
        for plan in approved:
            self._chat.refresh_plan(plan.id, at_once=True)
            if self._dispatcher.sendable(self._plans.items(plan.id)):
                self.dispatch_later(plan.id)
        return released

    def tick(self) -> None:
        """The scheduler's part: expire pending plans, resume dispatches a stop cut (not while pcc-bot
        is paused), end finished plans with their summary, and edit the boards that changed."""
        for plan in self._plans.in_states([PlanState.PENDING]):
            self._votes.expire_if_due(plan)
        paused = self._dispatcher.paused()
        for plan in self._plans.in_states([PlanState.APPROVED]):
            items = self._plans.items(plan.id)
            if any(i.state == State.PENDING for i in items):
                if not paused and self._dispatcher.sendable(items):
                    self.dispatch_later(plan.id)
                continue
            tally = PlanTally.of(items)
            if tally.ended or not items:
                self._end(plan, tally)
        self._chat.refresh_plans()

    def _end(self, plan: Plan, tally: PlanTally) -> None:
        took = self._clock.now() - (plan.decided_at or plan.created_at)
        text = plan_messages.plan_summary(plan, tally, took)
        change = PlanChange(
            actor=BOT,
            action="plan ended",
            detail=f"{tally.copied} copied, {tally.failed} failed, {tally.stopped} cancelled",
            notices=self._chat.thread_and_room(plan.channel, "summary", text),
        )
        self._chat.move_plan(plan, PlanState.APPROVED, PlanState.ENDED, change)
