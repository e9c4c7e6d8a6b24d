"""The repository's members, one protocol each: what the use cases record and read, room by room.

A family is given the members it uses and nothing else (usecases/service.py wires them); the whole
``Repository`` is for the composition root. One member's write is one transaction: a request's state
change (``RequestStore.transition``) writes its audit line and its notices with it, a plan's
(``PlanStore.move``) its audit line, notices and, at an approval, its datastores' requests.
``ChatDesk.move`` and ``ChatDesk.move_plan`` (usecases/chat.py) are their only callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from bot.domain import (
    AuditEntry,
    MigrationRequest,
    Notice,
    NoticeDraft,
    Pause,
    Plan,
    PlanDraft,
    PlanState,
    RequestDraft,
    RequestFields,
    State,
)
from bot.domain.policy import Approval
from bot.usecases.ports import Change, PlanChange


class RequestStore(Protocol):
    """The requests: filed, read, changed only by compare-and-set (with their audit line and notices)."""

    def add(self, draft: RequestDraft, card_channel: str) -> MigrationRequest: ...

    def get(self, request_id: int) -> MigrationRequest | None: ...

    def active_for_filer(
        self, source_service: str, filer_id: int, *, restore: bool = False
    ) -> MigrationRequest | None: ...

    def recent(self, limit: int) -> list[MigrationRequest]: ...

    def in_states(self, states: Sequence[State]) -> list[MigrationRequest]: ...

    def transition(
        self, request_id: int, expected: State, target: State, change: Change, now: datetime
    ) -> bool: ...

    def amend(self, request_id: int, expected: State, change: Change, now: datetime) -> bool: ...

    def update_fields(self, request_id: int, fields: RequestFields, now: datetime) -> None: ...

    def held_tasks(self, dest_service: str, task_ids: Sequence[int], besides: int) -> frozenset[int]: ...

    def set_card(self, request_id: int, channel: str, ts: str) -> None: ...

    def count_by_state(self) -> dict[str, int]: ...

    def copied_filers(
        self, source_service: str, dest_service: str, dest_datacenter_id: int
    ) -> frozenset[int]: ...


class PlanStore(Protocol):
    """The plans: a datacenter under one decision (bot/domain/plan.py), and their datastores' requests."""

    def add(self, draft: PlanDraft) -> Plan: ...

    def get(self, plan_id: int) -> Plan | None: ...

    def in_states(self, states: Sequence[PlanState]) -> list[Plan]: ...

    def recent(self, limit: int) -> list[Plan]: ...

    def items(self, plan_id: int) -> list[MigrationRequest]: ...

    def move(
        self, plan: Plan, expected: PlanState, target: PlanState, change: PlanChange, now: datetime
    ) -> bool:
        """Compare-and-set on the plan's state (``target`` the same: an amendment that keeps it), with its
        audit line, its datastores' requests (an approval) and its notices in one transaction."""
        ...

    def set_card(self, plan_id: int, channel: str, ts: str) -> None: ...


class NoticeStore(Protocol):
    """The outbox: notices queued (with a change, or alone), claimed by one replica, then settled."""

    def queue(self, request_id: int, draft: NoticeDraft, now: datetime) -> None:
        """A notice about a request with no state change (a reminder, a stall warning); once per key."""
        ...

    def queue_for_plan(self, plan_id: int, drafts: Sequence[NoticeDraft], now: datetime) -> None: ...

    def claim(self, now: datetime, limit: int, claimer: str, until: datetime) -> list[Notice]:
        """Due notices nobody else holds, now ``claimer``'s until ``until`` (one replica sends each)."""
        ...

    def renew_claim(self, notice_id: int, claimer: str, until: datetime) -> bool:
        """Extend ``claimer``'s claim just before sending; False: not ``claimer``'s any more, skip it."""
        ...

    def mark_sent(self, notice_id: int, now: datetime) -> None: ...

    def mark_failed(self, notice_id: int, error: str, retry_at: datetime) -> None: ...

    def mark_dead(self, notice_id: int, error: str, now: datetime) -> None: ...

    def card_refused(self, request_id: int) -> bool:
        """Whether Slack refused the request's card for good (its notice is dead-lettered)."""
        ...


class AuditLog(Protocol):
    """The audit trail: one line per change, written by the change's own transaction; read here."""

    def history(self, request_id: int) -> list[AuditEntry]: ...

    def since(self, since: datetime) -> list[tuple[AuditEntry, MigrationRequest | Plan | None]]:
        """Every audit line since ``since`` with the request (or the plan) it is about, None for a line
        about pcc-bot itself (a pause, a resume), oldest first."""
        ...


class VoteStore(Protocol):
    """Approvals under a policy's quorum (bot/domain/policy.py; usecases/approvals.py)."""

    def add(
        self,
        subject: str,
        request_id: int | None,
        approver: str,
        at: datetime,
        reason: str,
        line: AuditEntry | None,
    ) -> bool:
        """One approval of ``subject`` by ``approver``, with its audit ``line`` in the same transaction:
        False when they already approved it (nothing written)."""
        ...

    def of(self, subject: str) -> list[Approval]: ...


class PauseStore(Protocol):
    """The runtime pause (bot/domain/pause.py): one row, read before each mutating call."""

    def current(self) -> Pause | None: ...

    def start(self, pause: Pause, line: AuditEntry) -> bool:
        """False when pcc-bot is paused already (nothing written)."""
        ...

    def end(self, line: AuditEntry) -> bool:
        """False when pcc-bot was not paused (nothing written)."""
        ...


class BoardStore(Protocol):
    """The incident room's board message in each channel, and a digest of what it shows."""

    def get(self, channel: str) -> tuple[str, str] | None:
        """(ts, digest), or None when the channel has no board yet."""
        ...

    def save(self, channel: str, ts: str, digest: str, now: datetime) -> None: ...


class PlanWork(NamedTuple):
    """What the chat desk and the families that follow plans (Plans, its Dispatch, Nudges) read and
    write: the requests (a plan's datastores are requests), the plans, and the notices they queue."""

    requests: RequestStore
    plans: PlanStore
    notices: NoticeStore


class Repository(Protocol):
    """The members together, for the composition root (usecases/service.py) only: a family is given
    the members it uses, never this."""

    @property
    def requests(self) -> RequestStore: ...

    @property
    def plans(self) -> PlanStore: ...

    @property
    def notices(self) -> NoticeStore: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def votes(self) -> VoteStore: ...

    @property
    def pause(self) -> PauseStore: ...

    @property
    def boards(self) -> BoardStore: ...
