"""Approvals under the policy (`PCC_POLICY`): which rule a decision falls under, who counts, and the
quorum's tally. Without a policy every decision keeps today's rule: one approver from `PCC_APPROVERS`
who is not the requester (the Guard's).

Each approval is its own row, inserted once (the database refuses a second one by the same person);
the tally is read back after each, with every approver's membership read now, so that a person removed
from a group stops counting. The mutating call itself still goes through the gate, whose
compare-and-set lets it out once however many last approvals race.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain import (
    AuditEntry,
    Conflict,
    MigrationRequest,
    MigrationSpec,
    NotAllowed,
    NoticeDraft,
    NoticeKind,
    Operation,
    Plan,
    RequestFields,
    State,
    UsageError,
)
from bot.domain.operations import launch_of
from bot.domain.policy import DEFAULT_RULE, Facts, PolicyOperation, Reason, Rule, Tally, Verdict, mention
from bot.support.i18n import DEFAULT_LOCALE, Text, _, stored
from bot.support.mrkdwn import esc
from bot.usecases import approval_words as words
from bot.usecases import messages
from bot.usecases.family import Ballots, Ports
from bot.usecases.guard import Guard
from bot.usecases.records import require
from bot.usecases.settings import ServiceSettings


class Approvals:
    def __init__(self, ports: Ports, stores: Ballots, *, guard: Guard, settings: ServiceSettings) -> None:
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests, self._votes, self._notices = stores
        self._guard, self._settings = guard, settings

    @property
    def settings(self) -> ServiceSettings:
        """What the decisions are judged by (the policy, the approvers, the TTL)."""
        return self._settings

    # ------------------------------------------------------------ which rule

    def certifications(self, service: str) -> frozenset[str]:
        certs = self._ovh.get_certifications(service)
        return frozenset(
            n for n, state in (("hds", certs.hds), ("pci-dss", certs.pcidss)) if state == "enabled"
        )

    def rule(self, request: MigrationRequest, operation: str) -> Rule | None:
        """The rule a decision on ``request`` falls under; None without a policy (today's rule). The
        approval of a batch restore (asked as COPY, the request's first decision) matches RESTORE."""
        if operation == PolicyOperation.COPY:  # the request's first decision: its launch's policy name
            operation = launch_of(request).policy_name
        return self.rule_of(request.spec, request.filer_size, operation)

    def rule_of(self, spec: MigrationSpec, size: str, operation: str) -> Rule | None:
        policy = self._settings.approval_policy
        if policy is None:
            return None
        certs = self.certifications(spec.source_service)
        return policy.rule_for(Facts(operation, certs, size, spec.source_service, spec.dest_service))

    # ------------------------------------------------------------ who counts

    def _among(
        self,
        user: str,
        ids: Iterable[str],
        read: dict[str, frozenset[str]] | None = None,
        *,
        fresh: bool = True,
    ) -> bool:
        """``user`` is one of ``ids`` or a member (read now) of one of its groups. ``read``: groups
        already read for this decision, each read once (None: read fresh, every group)."""
        listed = frozenset(ids)
        if user in listed:
            return True
        seen: dict[str, frozenset[str]] = {} if read is None else read
        for group in sorted(g for g in listed if g[0] == "S"):
            if group not in seen:
                seen[group] = self._guard.directory.group_members(group, fresh=fresh)
            if user in seen[group]:
                return True
        return False

    def counts(
        self, rule: Rule, user: str, read: dict[str, frozenset[str]] | None = None, *, fresh: bool = True
    ) -> bool:
        people = rule.approvers if rule.approvers is not None else self._settings.approvers
        return self._among(user, people, read, fresh=fresh)

    def may_decide(self, request: MigrationRequest, user: str) -> bool:
        """Whether ``user``'s approval of ``request`` counts (what the App Home lists as waiting for
        them): its rule's approvers, never the requester; the group members as cached."""
        rule = self.rule(request, PolicyOperation.COPY)
        if rule is None:
            return self._guard.may_decide(request, user)
        return user != request.requester and self.counts(rule, user, fresh=False)

    def check(
        self,
        request: MigrationRequest,
        operation: str,
        user: str,
        decision: str | Text = "approve or reject",
    ) -> Rule | None:
        """Who may decide, re-checked on every click: the rule's approvers (the Guard's check without a
        policy), never the requester. The rule, for ``gather``."""
        return self.check_item(request, self.rule(request, operation), user, decision)

    def check_item(
        self, item: MigrationRequest | Plan, rule: Rule | None, user: str, decision: str | Text
    ) -> Rule | None:
        if rule is None:
            self._guard.check_approver(item, user, decision)
            return None
        what = f"plan #{item.id}" if isinstance(item, Plan) else f"request #{item.id}"
        if user == item.requester:
            raise NotAllowed(f"you filed {what} yourself; another approver has to {decision} it")
        if not self.counts(rule, user):
            listed = sorted(rule.approvers or self._settings.approvers)
            head, tail = f"under the rule {rule.name!r}, only ", f" can {decision} {what}"
            raise NotAllowed(
                head + ", ".join(listed) + tail,
                markup=esc(head) + ", ".join(mention(i) for i in listed) + esc(tail),
            )
        return rule

    @staticmethod
    def reason_asked(rule: Rule | None, verdict: Verdict) -> Reason:
        """Whether ``verdict`` asks for a reason under ``rule``."""
        return Reason.NONE if rule is None else rule.reason(verdict)

    def check_reason(self, rule: Rule | None, verdict: Verdict, reason: str, what: str) -> str:
        """The reason given, trimmed; refused when the rule requires one and none was given."""
        given = " ".join(reason.split())[:500]
        if not given and self.reason_asked(rule, verdict) == Reason.REQUIRED:
            assert rule is not None
            raise UsageError(
                f"the rule {rule.name!r} requires a reason to {verdict} {what}: use the card's button"
            )
        return given

    def asks_first(self, request_id: int, asks: Verdict | Operation) -> tuple[bool, str | None] | None:
        """What a click asks in a modal before it decides, under a policy: None (decide at once), or
        (whether the text is required, the name to type again: Remove copy's step-up). ``asks``: a
        verdict (its reason asked), or an operation whose call asks its step-up."""
        if self._settings.approval_policy is None:
            return None
        request = require(self._requests, request_id)
        if not isinstance(asks, Verdict):
            return True, messages.restore_name(request)
        asked = self.reason_asked(self.rule(request, PolicyOperation.COPY), asks)
        return None if asked == Reason.NONE else (asked == Reason.REQUIRED, None)

    def step_up_name(self, request_id: int) -> str:
        """The name Remove copy's modal wants typed: the `restore-…` datastore's."""
        return messages.restore_name(require(self._requests, request_id))

    def check_step_up(self, request: MigrationRequest, typed: str | None) -> None:
        """Under a policy, Remove copy goes on only with the `restore-…` name typed again."""
        expected = messages.restore_name(request)
        if self._settings.approval_policy is not None and typed != expected:
            said = _(
                "type {name} exactly to remove the copy of request #{id}; nothing was done",
                name=expected,
                id=request.id,
            )
            raise UsageError(str(said), text=said)

    def told(self, request: MigrationRequest, key: str, text: str) -> list[NoticeDraft]:
        """A notice in the request's thread, under a policy (without one, today's notices only)."""
        if self._settings.approval_policy is None:
            return []
        return self._chat.thread_and_room(request.channel, key, text, to_room=False)

    def decided(self, request: MigrationRequest, user: str, outcome: State, reason: str) -> list[NoticeDraft]:
        """Under a policy: the requester told by direct message (approved, rejected with the reason,
        expired), and a reason given also in the thread."""
        if self._settings.approval_policy is None:
            return []
        text = words.decided_dm(request, user, outcome, reason)
        dm = NoticeDraft(NoticeKind.DIRECT, f"dm-{outcome}-{request.requester}", request.requester, text)
        told = (
            self.told(request, f"reason-{outcome}", words.reason_told(request, user, outcome, reason))
            if reason
            else []
        )
        return [dm, *told]

    # ------------------------------------------------------------ the quorum

    def tally(self, item: MigrationRequest | Plan, rule: Rule, subject: str, *, fresh: bool = True) -> Tally:
        """The approvals of ``subject`` that count now: never the requester's, and only of people the
        rule lists or who are (now) in a group it lists. Each group is read once per tally (``fresh``
        for a decision; as cached briefly for what is only shown or told)."""
        read: dict[str, frozenset[str]] = {}
        counted = tuple(
            a
            for a in self._votes.of(subject)
            if a.approver != item.requester and self.counts(rule, a.approver, read, fresh=fresh)
        )
        group_missing = bool(rule.at_least_one_of) and not any(
            self._among(a.approver, rule.at_least_one_of, read, fresh=fresh) for a in counted
        )
        return Tally(rule, counted, group_missing)

    def gather(
        self,
        request: MigrationRequest,
        rule: Rule | None,
        subject: str,
        user: str,
        *,
        expected: State,
        reason: str = "",
    ) -> RequestFields | None:
        """Count ``user``'s approval of ``subject``. The fields the decision sets when the quorum is
        reached (the caller then sends its call through the gate); None while it is not (the card
        says who is still needed). Without a policy (``rule`` None), reached at once."""
        if rule is None:
            return {}
        now = self._clock.now()
        detail = f"rule {rule.name!r}" + (f"; reason: {reason}" if reason else "")
        line = AuditEntry(request.id, now, user, "approval counted", expected, None, detail)
        if not self._votes.add(subject, request.id, user, now, reason, line):  # with its audit line
            tally = self.tally(request, rule, subject)
            raise Conflict(f"you already approved request #{request.id}: {tally.plain}")
        tally = self.tally(request, rule, subject)
        if tally.reached:
            return {"quorum": stored(tally.words()), "decision_reason": reason or None}
        if require(self._requests, request.id).state != expected:
            raise Conflict(f"request #{request.id} is already {require(self._requests, request.id).state}")
        quorum: RequestFields = {"quorum": stored(tally.words()), "decision_reason": reason or None}
        self._requests.update_fields(request.id, quorum, now)
        said = words.approved_so_far(request, user, tally.words(), reason)
        for draft in self.told(request, f"{subject}-{user}", said):
            self._notices.queue(request.id, draft, now)
        self._chat.refresh_card(request.id)  # the card says who approved and who is still needed
        self._chat.deliver()
        return None

    # ------------------------------------------------------------ `/pcc policy`

    def describe(self, user: str, request_id: int | None = None, locale: str = DEFAULT_LOCALE) -> str:
        """The rules in force, in order; with a request, the one it falls under and its tally."""
        self._guard.check_reader(user, "the approval policy")
        policy, approvers = self._settings.approval_policy, self._settings.approvers
        said: list[Text] = [NO_POLICY] if policy is None else []
        if policy is not None:
            said.append(_("Approval policy: rules tried in order, the first that matches decides."))
            said += [
                _("{n}. {rule}", n=n, rule=rule.describe(approvers, locale))
                for n, rule in enumerate(policy.rules, start=1)
            ]
            anyone = ", ".join(mention(i) for i in sorted(approvers))
            said.append(_("Otherwise: one approval from {people}, never the requester's", people=anyone))
        if request_id is not None:
            request = require(self._requests, request_id)
            rule = self.rule(request, PolicyOperation.COPY) or DEFAULT_RULE
            said.append(
                _("Request #{id} falls under {rule}", id=request.id, rule=rule.describe(approvers, locale))
            )
            if request.state == State.PENDING and policy is not None:
                tally = self.tally(request, rule, approval_subject(request))
                said.append(_("Now: {tally}", tally=tally.words()))
        return "\n".join(t.render(locale) for t in said)


NO_POLICY = _(
    "No approval policy (PCC_POLICY is unset): every decision needs one approver from PCC_APPROVERS who "
    "is not the requester."
)


def approval_subject(request: MigrationRequest) -> str:
    """What the approval of a request's first decision (its launch) approves; an operation's call
    approves its own ``Behaviour.subject`` (``Decisions.decide``)."""
    return launch_of(request).subject(request)
