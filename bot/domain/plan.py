"""A plan: every datastore of a source datacenter (or the ones listed) copied to one destination
datacenter under one four-eyes decision. Approved, each included datastore becomes a request of the plan,
dispatched through the same gate as a single request."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.errors import Conflict
from bot.domain.request import Filed, MigrationRequest, MigrationSpec, Recorded
from bot.domain.states import ACTIVE_STATES, COPIED_STATES, State


class PlanState(StrEnum):
    PENDING = "pending"  # waiting for the four-eyes decision
    APPROVED = "approved"  # its datastores are being dispatched and copied
    ENDED = "ended"  # every datastore of it has ended (copied, failed or cancelled): summary posted
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


PLAN_TRANSITIONS: dict[PlanState, frozenset[PlanState]] = {
    PlanState.PENDING: frozenset(
        {PlanState.APPROVED, PlanState.REJECTED, PlanState.CANCELLED, PlanState.EXPIRED}
    ),
    PlanState.APPROVED: frozenset({PlanState.ENDED}),
}


def check_plan_transition(source: PlanState, target: PlanState) -> None:
    if target not in PLAN_TRANSITIONS.get(source, frozenset()):
        raise Conflict(f"a plan that is {source} cannot become {target}")


@dataclass(frozen=True)
class PlanItem:
    """A datastore the plan copies, as read when the plan was filed."""

    filer_id: int
    name: str
    size: str
    vm_total: int | None
    space_used_gb: float | None = None


@dataclass(frozen=True)
class LeftOut:
    """A datastore of the datacenter the plan does not copy, and why."""

    filer_id: int
    name: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class PlanDraft(Filed):
    source_service: str
    source_datacenter_id: int
    dest_service: str
    dest_datacenter_id: int
    items: tuple[PlanItem, ...]
    left_out: tuple[LeftOut, ...]

    def spec(self, item: PlanItem) -> MigrationSpec:
        return MigrationSpec(
            self.source_service,
            self.source_datacenter_id,
            item.filer_id,
            self.dest_service,
            self.dest_datacenter_id,
        )

    @property
    def filer_ids(self) -> frozenset[int]:
        return frozenset(i.filer_id for i in self.items)

    @property
    def vm_total(self) -> int:
        return sum(i.vm_total or 0 for i in self.items)

    @property
    def used_gb(self) -> float:
        return sum(i.space_used_gb or 0.0 for i in self.items)


@dataclass(frozen=True, kw_only=True)
class Plan(PlanDraft, Recorded):
    id: int
    state: PlanState

    @property
    def title(self) -> str:
        return (
            f"Plan #{self.id}: datacenter {self.source_datacenter_id} of {self.source_service} → "
            f"{self.dest_service}/{self.dest_datacenter_id}"
        )


#: An item of an approved plan waits for its POST while its request is pending.
QUEUED = State.PENDING


@dataclass(frozen=True)
class PlanTally:
    """Where a plan's requests stand: counts by state, and whether every one has ended."""

    by_state: dict[State, int]
    total: int

    @classmethod
    def of(cls, items: list[MigrationRequest]) -> PlanTally:
        return cls(dict(Counter(r.state for r in items)), len(items))

    @property
    def copied(self) -> int:
        return sum(n for s, n in self.by_state.items() if s in COPIED_STATES)

    @property
    def failed(self) -> int:
        return self.by_state.get(State.FAILED, 0)

    @property
    def stopped(self) -> int:
        """Cancelled before their POST (Cancel the rest), or never sent."""
        return sum(
            n for s, n in self.by_state.items() if s in (State.CANCELLED, State.EXPIRED, State.REJECTED)
        )

    @property
    def ended(self) -> bool:
        return self.total > 0 and not any(s in ACTIVE_STATES for s in self.by_state)
