"""What people read: datastores (filling in within the budget), requests, the App Home, the audit trail.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.domain import (
    IN_FLIGHT_STATES,
    AuditEntry,
    Filer,
    FilerListing,
    MigrationRequest,
    NotAllowed,
    NotFound,
    NoticeNotDelivered,
    PccBotError,
    Plan,
    PlanState,
    PlanTally,
    State,
)
from bot.support import waits
from bot.support.i18n import _
from bot.usecases.exports import audit_csv, filers_csv
from bot.usecases.guard import Guard
from bot.usecases.ports import Clock, Notifier, OvhGateway
from bot.usecases.records import require
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import AuditLog, PlanStore, RequestStore

log = logging.getLogger(__name__)

#: How long filling a listing in may wait for the call budget, per datastore.
FILL_WAIT_SECONDS = 120.0


def named_filers(ovh: OvhGateway, service: str, datacenter_id: int, wanted: tuple[int, ...]) -> list[Filer]:
    """The datastores a plan names, each read by itself (cached, shared with concurrent readers), not
    the whole datacenter; the datacenter's own when it names none (one listing). A global datastore is
    not the datacenter's; an unknown one is left for the caller to name."""
    if not wanted:
        return ovh.datacenter_filers(service, datacenter_id)
    ovh.get_datacenter(service, datacenter_id)  # an unknown datacenter is named as such
    found = []
    for filer_id in wanted:
        try:
            found.append(ovh.get_filer(service, datacenter_id, filer_id))
        except NotFound:
            continue
    return [f for f in found if not f.is_global]


@dataclass(frozen=True)
class Home:
    mine: tuple[MigrationRequest, ...]
    to_approve: tuple[MigrationRequest, ...]
    active: tuple[MigrationRequest, ...]
    #: Plans waiting for a decision or being copied, with where their datastores stand.
    plans: tuple[tuple[Plan, PlanTally], ...] = ()


class Reading:
    def __init__(
        self,
        *,
        ovh: OvhGateway,
        requests: RequestStore,
        plans: PlanStore,
        audit: AuditLog,
        notifier: Notifier,
        clock: Clock,
        settings: ServiceSettings,
        guard: Guard,
        may_decide: Callable[[MigrationRequest, str], bool] | None = None,
    ) -> None:
        self._ovh, self._notifier, self._clock = ovh, notifier, clock
        self._requests, self._plans, self._audit = requests, plans, audit
        self._settings, self._guard = settings, guard
        #: Whether a person's approval counts for a request (the policy's rule; else four eyes).
        self._may_decide = may_decide or guard.may_decide

    @property
    def source_zone(self) -> str:
        return self._settings.policy.source_zone

    def list_filers(self, service: str, datacenter_id: int | None, user: str) -> FilerListing:
        """What can be read at once: with list expansion every datastore; without it, those whose
        details the call budget has room for now (the others are counted, and filled in later)."""
        self._guard.check_reader(user, "the datastores of a PCC")
        return self._ovh.filer_listing(service, datacenter_id, now_only=True)

    def fill_filers(self, listing: FilerListing, updates: int = 4) -> Iterator[FilerListing]:
        """Read the datastores a first answer left unread, within the budget (waiting for room), and
        yield the listing as it fills in: at most ``updates`` times, the last one as complete as the
        API allowed."""
        todo = [(i, filer_id) for i, dc in enumerate(listing.datacenters) for filer_id in dc.unread]
        step = max(1, -(-len(todo) // updates))
        read: dict[int, list[Filer]] = {i: list(dc.filers) for i, dc in enumerate(listing.datacenters)}
        failed: dict[int, list[int]] = {i: [] for i in read}
        service = listing.pcc.service_name
        for done, (i, filer_id) in enumerate(todo, start=1):
            datacenter_id = listing.datacenters[i].datacenter.datacenter_id
            try:
                # In the background: waiting is fine, and the person already knows it fills in.
                with waits.allowance(FILL_WAIT_SECONDS), waits.told_when_queued(lambda _: None):
                    read[i].append(self._ovh.get_filer(service, datacenter_id, filer_id))
            except PccBotError as error:
                log.warning("filer %d of %s not read: %s", filer_id, service, error)
                failed[i].append(filer_id)
            if done % step == 0 or done == len(todo):
                left = {dc: [f for j, f in todo[done:] if j == dc] for dc in read}
                yield replace(
                    listing,
                    datacenters=tuple(
                        replace(dc, filers=tuple(read[i]), unread=tuple(failed[i] + left[i]))
                        for i, dc in enumerate(listing.datacenters)
                    ),
                )

    def send_filers_csv(self, service: str, datacenter_id: int | None, user: str) -> int:
        """Every datastore of the PCC (or datacenter) as a CSV file in the asker's direct messages."""
        self._guard.check_reader(user, "the datastores of a PCC")
        listing = self._ovh.filer_listing(service, datacenter_id)
        where = service if datacenter_id is None else f"{service}-{datacenter_id}"
        try:
            self._notifier.upload_private(
                user,
                f"pcc-bot-filers-{where}.csv",
                filers_csv(listing),
                f"{listing.count} datastore(s) of {service}.",
            )
        except NoticeNotDelivered as error:
            raise PccBotError(f"the list could not be sent: {error}") from error
        return listing.count

    def recent(self, user: str, limit: int = 15) -> tuple[list[MigrationRequest], int]:
        """The latest requests, and how many there are in all."""
        self._guard.check_reader(user, "the list of requests")
        return self._requests.recent(limit), sum(self._requests.count_by_state().values())

    def recent_plans(self, user: str, limit: int = 5) -> list[tuple[Plan, PlanTally]]:
        """The latest plans, each with where its datastores stand."""
        self._guard.check_reader(user, "the list of plans")
        return [(p, PlanTally.of(self._plans.items(p.id))) for p in self._plans.recent(limit)]

    def home(self, user: str) -> Home:
        """What the App Home tab shows this person: every request waiting for them, every migration in
        flight, and their latest requests."""
        mine = tuple(r for r in self._requests.recent(200) if r.requester == user)
        if not self._guard.may_read(user):
            return Home(mine=mine, to_approve=(), active=())  # PCC_READERS: their own requests only
        pending = self._requests.in_states([State.PENDING])
        plans = self._plans.in_states([PlanState.PENDING, PlanState.APPROVED])
        return Home(
            plans=tuple((p, PlanTally.of(self._plans.items(p.id))) for p in plans),
            mine=mine,
            to_approve=tuple(r for r in pending if r.plan_id is None and self._may_decide(r, user)),
            active=tuple(self._requests.in_states(sorted(IN_FLIGHT_STATES))),
        )

    def status(self, request_id: int, user: str) -> tuple[MigrationRequest, list[AuditEntry]]:
        request = require(self._requests, request_id)
        if user != request.requester:
            self._guard.check_reader(user, _("request #{id}", id=request_id))
        return request, self._audit.history(request_id)

    def export_audit(self, days: int, user: str) -> int:
        """Send the audit trail of the last ``days`` days, as CSV, to an approver's direct messages;
        returns its lines. The trail names people and decisions: approvers only, never a channel."""
        if not self._guard.is_approver(user):
            said = _("only the approvers listed in PCC_APPROVERS can export the audit trail")
            raise NotAllowed(str(said), text=said)
        now = self._clock.now()
        rows = self._audit.since(now - timedelta(days=days))
        name = f"pcc-bot-audit-{now:%Y%m%d-%H%M}-{days}d.csv"
        try:
            self._notifier.upload_private(
                user, name, audit_csv(rows), f"Audit of the last {days} day(s): {len(rows)} line(s)."
            )
        except NoticeNotDelivered as error:
            raise PccBotError(f"the audit file could not be sent: {error}") from error
        return len(rows)
