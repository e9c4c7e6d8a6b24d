"""The approval policy (`PCC_POLICY`, TOML): which rule a request falls under, and what that rule asks.

Rules are tried in order; the first whose `match` fits the request decides (a rule without `match`
fits every request). Without a policy, one rule: one approver from `PCC_APPROVERS`, no reason asked.
Pure: the rules and their matching (reading the file: policy_file.py); who is in a group is asked
elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase

from bot.support.i18n import DEFAULT_LOCALE, Text, _
from bot.support.mrkdwn import esc

CERTIFICATIONS = ("none", "hds", "pci-dss")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE_UNITS = {"B": 1 / 1024**3, "KB": 1 / 1024**2, "MB": 1 / 1024, "GB": 1.0, "TB": 1024.0, "PB": 1024.0**2}
MATCH_KEYS = ("certification", "operation", "source", "destination", "min_size_gb")


class Reason(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


class PolicyOperation(StrEnum):
    """What a decision is about, as the policy's `match.operation` names it: a request's copy, a batch
    restore, a plan, a relaunch, the removal of a copy."""

    COPY = "copy"
    RESTORE = "restore"
    PLAN = "plan"
    RETRY = "retry"
    REMOVE_COPY = "remove copy"


class Verdict(StrEnum):
    """A person's decision on a request or a plan; the policy file's `reason` keys name them."""

    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class Facts:
    """What the bot knows of a request before any call, as the rules match it."""

    operation: str  # a PolicyOperation, or another operation's policy name (Behaviour.policy_name)
    certifications: frozenset[str]  # hds, pci-dss; empty: none
    size: str  # as OVHcloud gives it ("2 TB"); unknown: every size rule fits
    source: str
    destination: str


@dataclass(frozen=True)
class Approval:
    """One person's approval of a decision under a quorum, with the reason they gave."""

    approver: str
    at: datetime
    reason: str = ""


def size_gb(size: str) -> float | None:
    """A datastore's size in GB ("2 TB": 2048.0), None when it cannot be read."""
    amount, _, unit = size.strip().partition(" ")
    try:
        return float(amount) * _SIZE_UNITS[unit.strip().upper() or "GB"]
    except (ValueError, KeyError):
        return None


@dataclass(frozen=True)
class Match:
    certification: frozenset[str] | None = None
    operation: frozenset[str] | None = None
    source: tuple[str, ...] | None = None
    destination: tuple[str, ...] | None = None
    min_size_gb: float | None = None

    def fits(self, facts: Facts) -> bool:
        certs = facts.certifications or frozenset({"none"})
        if self.certification is not None and not certs & self.certification:
            return False
        if self.operation is not None and facts.operation not in self.operation:
            return False
        if self.source is not None and not any(fnmatchcase(facts.source, g) for g in self.source):
            return False
        if self.destination is not None and not any(
            fnmatchcase(facts.destination, g) for g in self.destination
        ):
            return False
        size = size_gb(facts.size)
        return self.min_size_gb is None or size is None or size >= self.min_size_gb

    @property
    def everything(self) -> bool:
        return self == Match()

    def describe(self) -> str:
        parts = []
        for name in MATCH_KEYS:
            value = getattr(self, name)
            if value is not None:
                shown = ", ".join(sorted(value)) if isinstance(value, frozenset | tuple) else f"{value:g}"
                parts.append(f"{name} {shown}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Rule:
    name: str = "default"
    match: Match = field(default_factory=Match)
    approvals: int = 1
    #: Who counts (users and user groups); None: PCC_APPROVERS.
    approvers: frozenset[str] | None = None
    at_least_one_of: frozenset[str] = frozenset()
    approve_reason: Reason = Reason.NONE
    reject_reason: Reason = Reason.NONE
    ttl: timedelta | None = None
    remind_after: timedelta | None = None
    escalate_to: frozenset[str] = frozenset()

    def reason(self, verdict: Verdict) -> Reason:
        """Whether ``verdict`` asks for a reason under this rule."""
        return self.approve_reason if verdict is Verdict.APPROVE else self.reject_reason

    @property
    def strictness(self) -> tuple[int, int, int, int]:
        """Orders rules for a plan (the strictest among its datastores applies)."""
        required = (self.approve_reason == Reason.REQUIRED) + (self.reject_reason == Reason.REQUIRED)
        return (self.approvals, len(self.at_least_one_of) > 0, required, -len(self.approvers or ()))

    @property
    def asks_more_than_one(self) -> bool:
        """Beyond today's rule: a quorum, a group that must be among the approvers, or other approvers."""
        return self.approvals > 1 or bool(self.at_least_one_of) or self.approvers is not None

    def describe(self, default_approvers: Iterable[str], locale: str = DEFAULT_LOCALE) -> str:
        """The rule in one line for `/pcc policy` (its keys and values as the policy file writes them)."""
        people = ", ".join(mention(i) for i in sorted(self.approvers or default_approvers))
        described = self.match.describe()  # as the policy file writes it
        matched = f"`{esc(described)}`" if described else _("every request").render(locale)
        parts = [
            _(
                "{name} ({match}): {approvals} approval(s) from {people}",
                name=f"*{esc(self.name)}*",
                match=matched,
                approvals=self.approvals,
                people=people,
            )
        ]
        if self.at_least_one_of:
            parts.append(
                _(
                    "at least one from {people}",
                    people=", ".join(mention(i) for i in sorted(self.at_least_one_of)),
                )
            )
        reasons = _(
            "reason to approve {approve}, to reject {reject}",
            approve=self.approve_reason,
            reject=self.reject_reason,
        )
        parts.append(reasons)
        if self.ttl:
            parts.append(_("approvable for {duration}", duration=_duration(self.ttl)))
        if self.remind_after:
            parts.append(_("reminder after {duration}", duration=_duration(self.remind_after)))
        if self.escalate_to:
            parts.append(_("then {people}", people=", ".join(mention(i) for i in sorted(self.escalate_to))))
        return "; ".join(p.render(locale) for p in parts)


#: What applies without a policy file, and to a request no rule matches: today's four eyes.
DEFAULT_RULE = Rule(name="default (one approver from PCC_APPROVERS)")


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...] = ()

    def rule_for(self, facts: Facts) -> Rule:
        return next((rule for rule in self.rules if rule.match.fits(facts)), DEFAULT_RULE)

    def strictest(self, every: Iterable[Facts]) -> Rule:
        """A plan's rule: the strictest of its datastores' (the default when it has none)."""
        return max((self.rule_for(f) for f in every), key=lambda r: r.strictness, default=DEFAULT_RULE)

    def unreachable(self, default_approvers: frozenset[str]) -> list[str]:
        """Rules no set of people could ever satisfy: more approvals than the people they list (when
        they list only people, no group)."""
        problems = []
        for number, rule in enumerate(self.rules, start=1):
            people = rule.approvers if rule.approvers is not None else default_approvers
            if people and not any(p.startswith("S") for p in people) and len(people) < rule.approvals:
                problems.append(
                    f"rule {number} ({rule.name}): asks {rule.approvals} approvals but its approvers are "
                    f"only {len(people)} people"
                )
        return problems


def mention(ident: str) -> str:
    """A user or a user group, as Slack shows it."""
    return f"<!subteam^{ident}>" if ident.startswith("S") else f"<@{ident}>"


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class Tally:
    """Where a quorum stands: the approvals that count now, and what is still missing."""

    rule: Rule
    counted: tuple[Approval, ...]
    group_missing: bool

    @property
    def reached(self) -> bool:
        return len(self.counted) >= self.rule.approvals and not self.group_missing

    def _text(self, marked: bool) -> str:
        def shown(ident: str) -> str:
            return mention(ident) if marked else ident

        people = ", ".join(shown(a.approver) for a in self.counted)
        head = f"{len(self.counted)} of {self.rule.approvals} approval(s)" + (f": {people}" if people else "")
        more = self.rule.approvals - len(self.counted)
        named = ", ".join(shown(g) for g in sorted(self.rule.at_least_one_of))
        if self.group_missing and more <= 1:
            return f"{head} · waiting for one from {named}"
        if self.group_missing:
            return f"{head} · waiting for {more} more, one of them from {named}"
        return f"{head} · waiting for {more} more" if more > 0 else head

    @property
    def markup(self) -> str:
        """For the card: people mentioned (English; ``words`` for every reader's language)."""
        return self._text(True)

    def words(self) -> Text:
        """The quorum line as people read it (people mentioned), in no language yet."""
        people = ", ".join(mention(a.approver) for a in self.counted)
        count, needed = len(self.counted), self.rule.approvals
        head = (
            _("{count} of {needed} approval(s): {people}", count=count, needed=needed, people=people)
            if people
            else _("{count} of {needed} approval(s)", count=count, needed=needed)
        )
        more, named = needed - count, ", ".join(mention(g) for g in sorted(self.rule.at_least_one_of))
        if self.group_missing and more <= 1:
            return _("{head} · waiting for one from {named}", head=head, named=named)
        if self.group_missing:
            return _(
                "{head} · waiting for {more} more, one of them from {named}",
                head=head,
                more=more,
                named=named,
            )
        return _("{head} · waiting for {more} more", head=head, more=more) if more > 0 else head

    @property
    def plain(self) -> str:
        """For the audit trail and the logs: ids."""
        return self._text(False)
