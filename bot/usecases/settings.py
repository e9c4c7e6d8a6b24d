"""The service layer's settings, read from Config by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain import ZonePolicy
from bot.domain.policy import Policy
from bot.support.i18n import DEFAULT_LOCALE


@dataclass(frozen=True)
class ServiceSettings:
    """What the use cases are told. The ones people configure have no default here: the composition
    root passes each from the configuration, whose defaults are written once (bot/ops/variables.py)."""

    approvers: frozenset[str]  # Slack user ids (U…/W…) and user group ids (S…)
    approval_ttl: timedelta  # PCC_APPROVAL_TTL
    poll_period: timedelta  # PCC_POLL_SECONDS
    stall_after: timedelta  # PCC_STALL_SECONDS
    #: Who may see requests and the inventory besides the approvers (PCC_READERS); empty: anyone.
    readers: frozenset[str] = frozenset()
    incident_channel: str | None = None
    policy: ZonePolicy = field(default_factory=ZonePolicy)
    notice_batch: int = 50
    #: The approval policy (PCC_POLICY); None: one approver from ``approvers``, not the requester.
    approval_policy: Policy | None = None
    read_only: bool = False
    #: The poller's share of the OVHcloud budget; the rest stays for people's commands.
    poll_budget_per_minute: float = 48.0
    #: A card is edited when its task moves, and at least this often while it replicates ("last check").
    card_refresh: timedelta = timedelta(minutes=15)
    #: A mutating call cannot still be running after this (budget wait + connect + read timeouts): a
    #: request left in a calling state longer than that was interrupted, and goes in doubt.
    call_timeout: timedelta = timedelta(minutes=2)
    #: This process's name among the replicas sharing a database (notices are claimed under it).
    replica: str = "pcc-bot"
    #: Other replicas may share the database (PostgreSQL): a call found in a calling state at start may
    #: be another replica's, still running, so it goes in doubt only after ``call_timeout``.
    shared_database: bool = False
    #: A notice claimed by a replica is its own for this long; after that, any replica takes it over.
    notice_lease: timedelta = timedelta(minutes=2)
    #: The language of what a channel sees (PCC_LOCALE): stored notices are rendered in it when sent.
    locale: str = DEFAULT_LOCALE

    @property
    def approver_users(self) -> frozenset[str]:
        return frozenset(a for a in self.approvers if not a.startswith("S"))

    @property
    def approver_groups(self) -> frozenset[str]:
        return frozenset(a for a in self.approvers if a.startswith("S"))
