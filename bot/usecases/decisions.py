"""People's decisions: approve, reject, cancel, relaunch, remove the copy, settle a call in doubt.
Every mutating call goes through the gate (gate.py beside this file): once, by the winner of the
compare-and-set.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Protocol

from bot.domain import (
    MIGRATION,
    Conflict,
    MigrationRequest,
    NotAllowed,
    Operation,
    State,
)
from bot.domain.operations import behaviour_of
from bot.domain.policy import PolicyOperation, Verdict
from bot.support.i18n import _
from bot.usecases import messages
from bot.usecases.approvals import Approvals, approval_subject
from bot.usecases.doubt import DoubtResolver
from bot.usecases.family import Ports, about_request
from bot.usecases.gate import Call, Gate, task_started
from bot.usecases.guard import Guard
from bot.usecases.ports import Change
from bot.usecases.records import BOT, require
from bot.usecases.stores import RequestStore

log = logging.getLogger(__name__)


class Launcher(Protocol):
    """The use case of an operation that files its own requests (a batch restore): the call an
    approval of one of them makes."""

    operation: Operation

    def call(self, request: MigrationRequest) -> Call: ...


class Decisions:
    def __init__(
        self,
        ports: Ports,
        *,
        requests: RequestStore,
        guard: Guard,
        gate: Gate,
        doubt: DoubtResolver,
        approvals: Approvals,
        launchers: Iterable[Launcher] = (),
    ) -> None:
        """``launchers``: the use cases of the operations other than the copy that file their own
        requests; each builds the call an approval of its requests makes."""
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests = requests
        self._guard = guard
        self._approvals = approvals  # the policy's rules and quorum (PCC_POLICY); else the guard's
        self._gate = gate
        self._doubt = doubt
        self._calls = {launcher.operation.name: launcher.call for launcher in launchers}

    def _gated(
        self, request: MigrationRequest, operation: Operation, decision: Change, call: Call
    ) -> MigrationRequest:
        """The call through the gate, for a click: another click that won first is a Conflict."""
        if not self._gate.run(request, operation, decision, call):
            raise Conflict(f"request #{request.id} is already {require(self._requests, request.id).state}")
        return require(self._requests, request.id)

    def expire_if_due(self, request: MigrationRequest) -> bool:
        """True when the request is past its TTL (and now recorded as expired, its card edited)."""
        now = self._clock.now()
        if request.state != State.PENDING or now < request.expires_at:
            return False
        change = Change(
            actor=BOT,
            action="expired",
            detail=f"not approved by {request.expires_at}",
            notices=self._approvals.decided(request, BOT, State.EXPIRED, ""),
        )
        self._chat.move(request, State.PENDING, State.EXPIRED, change)
        return True

    def _not_pending(self, request_id: int) -> Conflict:
        current = require(self._requests, request_id)
        if current.decided_by is None:
            return Conflict(f"request #{request_id} is already {current.state}")
        verb = {State.REJECTED: "rejected", State.CANCELLED: "cancelled"}.get(current.state, "approved")
        now = "" if verb != "approved" else f"; it is now {current.state}"
        plain = f"request #{request_id} was already {verb} by "
        return Conflict(f"{plain}{current.decided_by}{now}", markup=f"{plain}<@{current.decided_by}>{now}")

    @about_request
    def approve(self, request_id: int, user: str, reason: str = "") -> MigrationRequest:
        """The first valid click wins (compare-and-set); only the winner calls the API, once."""
        self._guard.refuse_if_paused(_("approving request #{id}", id=request_id))
        request = require(self._requests, request_id)
        rule = self._approvals.check(request, PolicyOperation.COPY, user)  # policy: its approvers, or guard
        reason = self._approvals.check_reason(rule, Verdict.APPROVE, reason, f"request #{request_id}")
        if self.expire_if_due(request):
            raise Conflict(f"request #{request.id} expired at {request.expires_at:%Y-%m-%d %H:%M} UTC")
        subject = approval_subject(request)
        quorum = self._approvals.gather(request, rule, subject, user, expected=State.PENDING, reason=reason)
        if quorum is None:  # counted; the quorum is not reached yet: nothing is sent
            return require(self._requests, request_id)
        now = self._clock.now()
        consent = "accepted the copyFiler conditions quoted on the card" if request.uses_copy_filer else ""
        decision = Change(
            actor=user,
            action="approved",
            detail="; ".join(filter(None, [consent, f"reason: {reason}" if reason else ""])),
            fields={"decided_by": user, "decided_at": now, **quorum},
            notices=self._approvals.decided(request, user, State.APPROVED, reason),
        )
        if not self.launch(request, decision):
            raise self._not_pending(request_id)
        log.info("request #%d approved by %s", request_id, user)
        return require(self._requests, request_id)

    def launch(self, request: MigrationRequest, decision: Change) -> bool:
        """The POST of a pending request (the copy's, or its operation's), through the gate: False when
        another click (or dispatcher) won the compare-and-set, and nothing was sent."""
        own = self._calls.get(request.launch.name)
        if own is not None:
            return self._gate.run(request, request.launch, decision, own(request))
        call = Call(
            send=lambda: self._ovh.start_migration(request.spec, request.route),
            action="migration started",
            detail=request.api_call,
            records=task_started,
        )
        return self._gate.run(request, MIGRATION, decision, call)

    @about_request
    def decide(
        self, request_id: int, operation: Operation, user: str, typed_name: str | None = None
    ) -> MigrationRequest:
        """An operation's call on a request once it is offered (Retry, Remove copy: the operation's
        button), gated like an approval: its policy's approvers and quorum, its step-up, then once per
        click that wins the compare-and-set. What it sends and records is the operation's to say
        (``Behaviour.mutation``)."""
        own = behaviour_of(operation)
        if own.button is None:
            raise ValueError(f"{operation.name} has no call of its own to decide (its requests are approved)")
        self._guard.refuse_if_paused(own.doing(request_id))
        request = require(self._requests, request_id)
        rule = self._approvals.check(request, own.policy_name, user, own.refusal)
        if request.state != operation.origin or not own.offered(request):
            raise Conflict(own.unavailable(request))
        if own.step_up:
            self._approvals.check_step_up(request, typed_name)  # policy: the name typed again
        if own.about_copy:
            request = replace(request, copy_filer_id=self._copy_id(request, messages.restore_name(request)))
        quorum = self._approvals.gather(request, rule, own.subject(request), user, expected=operation.origin)
        if quorum is None:  # counted; the quorum is not reached yet: nothing is sent
            return require(self._requests, request_id)
        sent = own.mutation(request, user)
        decision = Change(
            actor=user, action=sent.approved, detail=sent.detail, fields={**sent.fields, **quorum}
        )
        call = Call(
            send=lambda: self._ovh.mutate(sent.route, sent.params, sent.body),
            action=sent.done,
            detail=sent.detail,
            records=lambda task: own.records(task, self._clock.now()),
        )
        return self._gated(request, operation, decision, call)

    def _copy_id(self, request: MigrationRequest, name: str) -> int:
        """The `restore-…` datastore to remove: by the id recorded at the copy's completion, read again
        to be sure it is still there; never by its name, which two copies may share. A copy completed
        before ids were recorded is found by name only when that name is unique there."""
        spec, where = (
            request.spec,
            f"datacenter {request.spec.dest_datacenter_id} of {request.spec.dest_service}",
        )
        if request.copy_filer_id is not None:
            if not self._ovh.filer_exists(spec.dest_service, spec.dest_datacenter_id, request.copy_filer_id):
                raise Conflict(
                    f"datastore {name} (filer {request.copy_filer_id}) is no longer in {where}: "
                    "nothing to remove"
                )
            return request.copy_filer_id
        found = [
            f for f in self._ovh.filers_now(spec.dest_service, spec.dest_datacenter_id) if f.name == name
        ]
        if not found:
            raise Conflict(f"datastore {name} is not mounted in {where}: nothing to remove")
        if len(found) > 1:
            ids = ", ".join(str(f.filer_id) for f in found)
            raise Conflict(
                f"{len(found)} datastores are called {name} in {where} (filers {ids}) and this request's "
                "copy was not recorded at its completion: pcc-bot cannot tell which one is its copy, "
                "remove it from the OVHcloud control panel"
            )
        return found[0].filer_id

    @staticmethod
    def _check_episode(request: MigrationRequest, episode: str | None) -> None:
        """A button that settles a call in doubt acts only on the call it was posted for."""
        if episode is not None and episode != request.episode:
            raise Conflict(
                f"this button is about an earlier call of request #{request.id}, which is now "
                f"{request.state}: nothing was done; use the buttons of its card"
            )

    @about_request
    def adopt(self, request_id: int, task_id: int, user: str, episode: str | None = None) -> MigrationRequest:
        """A person decides which task a call in doubt created (four-eyes, like an approval)."""
        request = require(self._requests, request_id)
        self._approvals.check(request, PolicyOperation.COPY, user, "choose the task of")  # its rule's people
        self._check_episode(request, episode)
        operation = request.in_doubt
        if operation is None or not behaviour_of(operation).adoptable:
            raise Conflict(f"request #{request_id} is {request.state}: there is no task to choose")
        if task_id not in {t.task_id for t in request.candidates}:
            raise Conflict(
                f"task {task_id} is not among the candidates of request #{request_id}; see its card"
            )
        self._doubt.adopt(request, operation, task_id, actor=user)
        return require(self._requests, request_id)

    @about_request
    def close_not_started(self, request_id: int, user: str, episode: str | None = None) -> MigrationRequest:
        """A person who checked at OVHcloud that the call in doubt started nothing closes the doubt:
        the request goes back to where the call left it (failed for a migration or a relaunch, done
        for a removal). The API is not called. ``episode``: the call a button was posted for (a
        typed `/pcc cancel` is about the current one)."""
        request = require(self._requests, request_id)
        self._approvals.check(request, PolicyOperation.COPY, user, "close the call in doubt of")
        self._check_episode(request, episode)
        operation = request.in_doubt
        if operation is None:
            raise Conflict(f"request #{request_id} is {request.state}: nothing is in doubt")
        change = Change(
            actor=user,
            action="closed: not started",
            detail=f"{operation.name}: checked at OVHcloud that nothing started",
            fields={"in_doubt_since": None, "candidates": ()},
            notices=self._chat.thread_and_incident(
                request,
                f"closed-{request.state}-{request.episode}",
                messages.closed(request, user, operation),
            ),
        )
        if not self._chat.move(request, request.state, operation.not_started, change):
            raise Conflict(f"request #{request_id} is already {require(self._requests, request_id).state}")
        return require(self._requests, request_id)

    @about_request
    def reject(self, request_id: int, user: str, reason: str = "") -> MigrationRequest:
        request = require(self._requests, request_id)
        rule = self._approvals.check(request, PolicyOperation.COPY, user)  # any approver who counts ends it
        reason = self._approvals.check_reason(rule, Verdict.REJECT, reason, f"request #{request_id}")
        now = self._clock.now()
        change = Change(
            actor=user,
            action="rejected",
            detail=f"reason: {reason}" if reason else "",
            fields={"decided_by": user, "decided_at": now, "decision_reason": reason or None},
            notices=self._approvals.decided(request, user, State.REJECTED, reason),
        )
        if not self._chat.move(request, State.PENDING, State.REJECTED, change):
            raise self._not_pending(request_id)
        return require(self._requests, request_id)

    @about_request
    def cancel(self, request_id: int, user: str) -> MigrationRequest:
        request = require(self._requests, request_id)
        if user != request.requester:
            try:
                self._approvals.check(request, PolicyOperation.COPY, user, "cancel")  # its rule's approvers
            except NotAllowed:
                raise NotAllowed(
                    f"only the requester or an approver can cancel request #{request_id}"
                ) from None
        if request.in_doubt is not None:
            return self.close_not_started(request_id, user)
        if request.state != State.PENDING:
            raise Conflict(
                f"request #{request_id} is {request.state}: only a pending request (or one that needs "
                "attention) can be cancelled"
            )
        now = self._clock.now()
        change = Change(actor=user, action="cancelled", fields={"decided_by": user, "decided_at": now})
        if not self._chat.move(request, State.PENDING, State.CANCELLED, change):
            raise self._not_pending(request_id)
        return require(self._requests, request_id)
