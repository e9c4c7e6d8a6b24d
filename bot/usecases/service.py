"""Use cases: what a person (or the scheduler) can ask of pcc-bot.

Imports nothing from Slack, OVHcloud or SQLite: the adapters come in through the ports.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Concatenate, ParamSpec, TypeVar

from bot.domain import (
    IN_FLIGHT_STATES,
    MIGRATION,
    NOT_AN_OPTION,
    RELAUNCH,
    REMOVAL,
    AuditEntry,
    Conflict,
    Field,
    Filer,
    FilerListing,
    MigrationRequest,
    MigrationSpec,
    NotAllowed,
    NotFound,
    NoticeDraft,
    NoticeKind,
    NoticeNotDelivered,
    PccBotError,
    RequestDraft,
    RuleViolation,
    StartedTask,
    State,
    rule_violations,
)
from bot.support import logs, waits
from bot.usecases import messages
from bot.usecases.chat import BOT, ChatDesk, require
from bot.usecases.exports import audit_csv, filers_csv
from bot.usecases.gate import Gate
from bot.usecases.ports import Change, Clock, Directory, Notifier, OvhGateway, Repository
from bot.usecases.settings import ServiceSettings
from bot.usecases.tracking import Tracker
from bot.usecases.warm_lists import Background, WarmLists, inline

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
S = TypeVar("S")


def _about_request(method: Callable[Concatenate[S, int, P], T]) -> Callable[Concatenate[S, int, P], T]:
    """Tag the log lines of a use case on one request with its id."""

    @functools.wraps(method)
    def tagged(self: S, request_id: int, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with logs.context(request_id=request_id):
            return method(self, request_id, *args, **kwargs)

    return tagged


#: Slack shows at most 100 options; past that the last one says how many more match.
FORM_OPTIONS = 100
#: How long filling a listing in may wait for the call budget, per datastore.
FILL_WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Home:
    mine: tuple[MigrationRequest, ...]
    to_approve: tuple[MigrationRequest, ...]
    active: tuple[MigrationRequest, ...]


class PccService:
    def __init__(
        self,
        *,
        gateway: OvhGateway,
        repo: Repository,
        notifier: Notifier,
        directory: Directory,
        settings: ServiceSettings,
        clock: Clock,
        background: Background = inline,
    ) -> None:
        self._ovh = gateway
        self._lists = WarmLists(background)
        self._repo = repo
        self._notifier = notifier
        self._directory = directory
        self._settings = settings
        self._clock = clock
        self._chat = ChatDesk(
            repo=repo,
            notifier=notifier,
            clock=clock,
            incident_channel=settings.incident_channel,
            batch=settings.notice_batch,
        )
        self._gate = Gate(repo=repo, chat=self._chat, clock=clock)
        self._tracker = Tracker(
            gateway=gateway,
            repo=repo,
            chat=self._chat,
            settings=settings,
            clock=clock,
            expire=self._expire_if_due,
        )

    # ------------------------------------------------------------ the scheduler's jobs

    def poll_once(self) -> None:
        """One scheduler tick: expire, remind, track tasks, look for lost tasks, send notices, board."""
        self._tracker.poll_once()

    def reconcile(self) -> None:
        """On start: settle requests a stopped bot left between the approval and the API's answer."""
        self._tracker.reconcile()

    def deliver_notices(self) -> int:
        """Send what is due in the outbox."""
        return self._chat.deliver()

    # ------------------------------------------------------------ reading

    @property
    def source_zone(self) -> str:
        return self._settings.policy.source_zone

    def list_filers(self, service: str, datacenter_id: int | None) -> FilerListing:
        """What can be read at once: with list expansion every datastore; without it, those whose
        details the call budget has room for now (the others are counted, and filled in later)."""
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

    def recent(self, limit: int = 15) -> tuple[list[MigrationRequest], int]:
        """The latest requests, and how many there are in all."""
        return self._repo.recent(limit), sum(self._repo.count_by_state().values())

    def warm_form(self) -> None:
        """The form is opening: start loading its first list."""
        self._lists.get("pccs", self._ovh.list_pccs)

    def form_options(self, field: Field, typed: str, chosen: dict[Field, str]) -> list[tuple[str, str]]:
        """(value, label) pairs for one field of the migrate form, from lists kept warm in memory,
        filtered by what the person typed; never waits on OVHcloud. A list still loading (or that could
        not be loaded) is one option saying so, whose value (``NOT_AN_OPTION``) the submit refuses. A
        field that depends on another one offers nothing until it is chosen."""
        policy = self._settings.policy
        if field in (Field.SOURCE, Field.DESTINATION):
            listed = self._lists.get("pccs", self._ovh.list_pccs)
            wanted = policy.is_source_zone if field == Field.SOURCE else policy.allows_destination
            options = [
                (p.service_name, f"{p.service_name} ({p.zone}) {p.description}")
                for p in listed.items or []
                if wanted(p.zone)
            ]
        elif field in (Field.SOURCE_DATACENTER, Field.DESTINATION_DATACENTER):
            service = chosen.get(Field.SOURCE if field == Field.SOURCE_DATACENTER else Field.DESTINATION)
            if not service:
                return []
            pcc: str = service
            listed = self._lists.get(("dcs", pcc), lambda: self._ovh.list_datacenters(pcc))
            options = [
                (str(dc.datacenter_id), f"{dc.datacenter_id} {dc.name} {dc.commercial_name}")
                for dc in listed.items or []
            ]
        else:
            service, dc_text = chosen.get(Field.SOURCE), chosen.get(Field.SOURCE_DATACENTER)
            if not service or not dc_text or not dc_text.isdigit():
                return []
            dc = int(dc_text)
            listed = self._lists.get(
                ("filers", service, dc),
                lambda: [f for d in self._ovh.filer_listing(service, dc).datacenters for f in d.filers],
            )
            options = [
                (str(f.filer_id), f"{f.name} ({f.size}, {'?' if f.vm_total is None else f.vm_total} VMs)")
                for f in listed.items or []
            ]
        if listed.items is None:
            note = f"Could not load the list: {listed.error}" if listed.error else "Loading from OVHcloud…"
            return [(NOT_AN_OPTION, f"{note} type again in a moment"[:75])]
        needle = typed.strip().lower()
        matching = [(value, label[:75]) for value, label in options if needle in label.lower()]
        if len(matching) <= FORM_OPTIONS:
            return matching
        more = len(matching) - FORM_OPTIONS + 1
        return [*matching[: FORM_OPTIONS - 1], (NOT_AN_OPTION, f"…{more} more: type to narrow the list")]

    def home(self, user: str) -> Home:
        """What the App Home tab shows this person: every request waiting for them, every migration in
        flight, and their latest requests."""
        pending = self._repo.in_states([State.PENDING])
        return Home(
            mine=tuple(r for r in self._repo.recent(200) if r.requester == user),
            to_approve=tuple(r for r in pending if self.may_decide(r, user)),
            active=tuple(self._repo.in_states(sorted(IN_FLIGHT_STATES))),
        )

    def status(self, request_id: int) -> tuple[MigrationRequest, list[AuditEntry]]:
        return self._require(request_id), self._repo.history(request_id)

    def _require(self, request_id: int) -> MigrationRequest:
        return require(self._repo, request_id)

    def export_audit(self, days: int, user: str) -> int:
        """Send the audit trail of the last ``days`` days, as CSV, to an approver's direct messages;
        returns its lines. The trail names people and decisions: approvers only, never a channel."""
        if not self.is_approver(user):
            raise NotAllowed("only the approvers listed in PCC_APPROVERS can export the audit trail")
        now = self._clock.now()
        rows = self._repo.audit_since(now - timedelta(days=days))
        name = f"pcc-bot-audit-{now:%Y%m%d-%H%M}-{days}d.csv"
        try:
            self._notifier.upload_private(
                user, name, audit_csv(rows), f"Audit of the last {days} day(s): {len(rows)} line(s)."
            )
        except NoticeNotDelivered as error:
            raise PccBotError(f"the audit file could not be sent: {error}") from error
        return len(rows)

    # ------------------------------------------------------------ filing a request

    def _refuse_if_read_only(self, what: str) -> None:
        if self._settings.read_only:
            raise NotAllowed(
                f"pcc-bot is in read-only mode (PCC_READ_ONLY=1): {what} is switched off. Listing, "
                "status, cancel and reject still work."
            )

    def request_migration(self, spec: MigrationSpec, requester: str, channel: str) -> MigrationRequest:
        """Check every rule, store the request and post its card. Raises RuleViolation or Conflict."""
        self._refuse_if_read_only("filing a migration request")
        active = self._repo.active_for_filer(spec.source_service, spec.filer_id)
        if active is not None:
            taken = (
                f"filer {spec.filer_id} of {spec.source_service} already has an active request: "
                f"#{active.id} ({active.state})"
            )
            raise Conflict(
                f"{taken}; see `/pcc status {active.id}`",
                markup=f"{taken}; see {messages.thread_link(active)}",
            )
        problems: list[tuple[Field, str]] = []

        def look(field: Field, fn: Callable[[], T]) -> T | None:
            try:
                return fn()
            except NotFound as missing:
                problems.append((field, str(missing)))
                return None

        source = look(Field.SOURCE, lambda: self._ovh.get_pcc(spec.source_service))
        dest = look(Field.DESTINATION, lambda: self._ovh.get_pcc(spec.dest_service))
        filer = None
        if source and look(
            Field.SOURCE_DATACENTER,
            lambda: self._ovh.get_datacenter(spec.source_service, spec.source_datacenter_id),
        ):
            filer = look(
                Field.FILER,
                lambda: self._ovh.get_filer(spec.source_service, spec.source_datacenter_id, spec.filer_id),
            )
        if dest:
            look(
                Field.DESTINATION_DATACENTER,
                lambda: self._ovh.get_datacenter(spec.dest_service, spec.dest_datacenter_id),
            )
        if source is None or dest is None or filer is None or problems:
            raise RuleViolation(problems)
        source_certs = self._ovh.get_certifications(spec.source_service)
        dest_certs = self._ovh.get_certifications(spec.dest_service)  # judged on both sides, always
        problems = rule_violations(
            source=source,
            source_certs=source_certs,
            dest=dest,
            dest_certs=dest_certs,
            policy=self._settings.policy,
        )
        if problems:
            raise RuleViolation(problems)
        now = self._clock.now()
        request = self._repo.add(
            RequestDraft(
                spec=spec,
                requester=requester,
                channel=channel,
                created_at=now,
                expires_at=now + self._settings.approval_ttl,
                filer_name=filer.name,
                filer_size=filer.size,
                vm_total=filer.vm_total,
                source_zone=source.zone,
                dest_zone=dest.zone,
                api_call=self._ovh.migration_call(spec, self._ovh.migration_route),
                route=self._ovh.migration_route,
            ),
            card_channel=channel,
        )
        log.info("request #%d filed by %s: %s", request.id, requester, request.api_call)
        self.deliver_notices()
        return self._require(request.id)

    # ------------------------------------------------------------ decisions

    def is_approver(self, user: str) -> bool:
        """A listed user, or a member of a listed user group (read from Slack, cached briefly)."""
        if user in self._settings.approver_users:
            return True
        return any(user in self._directory.group_members(g) for g in sorted(self._settings.approver_groups))

    def may_decide(self, request: MigrationRequest, user: str) -> bool:
        """Four eyes: an approver who is not the requester."""
        return user != request.requester and self.is_approver(user)

    def check_approver(self, request: MigrationRequest, user: str) -> None:
        """Re-checked on every click: a listed user or group member, never the requester."""
        if user == request.requester:
            raise NotAllowed(
                f"you filed request #{request.id} yourself; another approver has to approve or reject it"
            )
        if not self.is_approver(user):
            raise NotAllowed(
                f"only the approvers listed in PCC_APPROVERS can approve or reject request #{request.id}"
            )

    def _expire_if_due(self, request: MigrationRequest) -> None:
        now = self._clock.now()
        if request.state == State.PENDING and now >= request.expires_at:
            change = Change(actor=BOT, action="expired", detail=f"not approved by {request.expires_at}")
            if self._repo.transition(request.id, State.PENDING, State.EXPIRED, change, now):
                self._chat.refresh_card(request.id)
            raise Conflict(f"request #{request.id} expired at {request.expires_at:%Y-%m-%d %H:%M} UTC")

    def _not_pending(self, request_id: int) -> Conflict:
        current = self._require(request_id)
        plain = f"request #{request_id} is already {current.state}"
        if current.decided_by is None:
            return Conflict(plain)
        return Conflict(f"{plain} by {current.decided_by}", markup=f"{plain} by <@{current.decided_by}>")

    @_about_request
    def approve(self, request_id: int, user: str) -> MigrationRequest:
        """The first valid click wins (compare-and-set); only the winner calls the API, once."""
        self._refuse_if_read_only("approving a migration")
        request = self._require(request_id)
        self.check_approver(request, user)
        self._expire_if_due(request)
        now = self._clock.now()
        decision = Change(
            actor=user,
            action="approved",
            detail="accepted the copyFiler conditions quoted on the card" if request.uses_copy_filer else "",
            fields={"approver": user, "decided_by": user, "decided_at": now},
        )

        def started(task: StartedTask) -> Change:
            return Change(
                actor=BOT,
                action="migration started",
                detail=request.api_call,
                query_id=task.query_id,
                fields={
                    "task_id": task.task_id,
                    "task_state": "todo",
                    "progress": 0,
                    "query_id": task.query_id,
                },
                notices=[
                    NoticeDraft(
                        NoticeKind.THREAD,
                        "started",
                        request.channel,
                        messages.started(request, task.task_id, task.query_id),
                    )
                ],
            )

        if not self._gate.run(
            request,
            MIGRATION,
            decision,
            lambda: self._ovh.start_migration(request.spec, request.route),
            on_success=started,
            refused=lambda error: messages.refused(request, error),
            in_doubt=lambda error: messages.ambiguous(request, error),
        ):
            raise self._not_pending(request_id)
        log.info("request #%d approved by %s", request_id, user)
        return self._require(request_id)

    @_about_request
    def retry(self, request_id: int, user: str) -> MigrationRequest:
        """Relaunch a task that ended in `error` (resetTaskState), gated like an approval; once per click
        that wins the compare-and-set, and tracked again like the first run."""
        self._refuse_if_read_only("relaunching a task")
        request = self._require(request_id)
        self.check_approver(request, user)
        if not request.can_retry or request.task_id is None:
            raise Conflict(
                f"request #{request_id} is {request.state} (task {request.task_state}): only a task "
                "that ended in `error` can be relaunched"
            )
        task_id, attempt = request.task_id, request.retries + 1
        decision = Change(
            actor=user,
            action="retry approved",
            detail=f"resetTaskState on task {task_id}",
            fields={"retries": attempt, "task_state": "relaunching"},
        )

        def relaunched(answer: StartedTask) -> Change:
            now = self._clock.now()
            return Change(
                actor=BOT,
                action="task relaunched",
                detail=f"resetTaskState on task {task_id}",
                query_id=answer.query_id,
                fields={"task_state": "todo", "progress_changed_at": now, "last_error": None},
                notices=[
                    NoticeDraft(
                        NoticeKind.THREAD,
                        f"retried-{attempt}",
                        request.channel,
                        messages.retried(request, task_id, user),
                    )
                ],
            )

        reason = f"pcc-bot request #{request_id}: relaunch approved by {user} (attempt {attempt})"
        if not self._gate.run(
            request,
            RELAUNCH,
            decision,
            lambda: self._ovh.reset_task(request.spec.dest_service, task_id, reason),
            on_success=relaunched,
            refused=lambda error: messages.retry_refused(request, error),
            in_doubt=lambda error: messages.relaunch_in_doubt(request, error),
        ):
            raise Conflict(f"request #{request_id} is already {self._require(request_id).state}")
        return self._require(request_id)

    @_about_request
    def remove_copy(self, request_id: int, user: str) -> MigrationRequest:
        """Remove the read-only `restore-…` copy once the VMs are cloned, gated like an approval."""
        self._refuse_if_read_only("removing a copy")
        request = self._require(request_id)
        self.check_approver(request, user)
        if request.state != State.DONE:
            raise Conflict(f"request #{request_id} is {request.state}: only a finished copy can be removed")
        spec, name = request.spec, messages.restore_name(request)
        copy = self._ovh.find_filer(spec.dest_service, spec.dest_datacenter_id, name)
        if copy is None:
            raise Conflict(
                f"datastore {name} is not mounted in datacenter {spec.dest_datacenter_id} of "
                f"{spec.dest_service}: nothing to remove"
            )
        decision = Change(
            actor=user,
            action="copy removal approved",
            detail=f"{name} (filer {copy.filer_id})",
            fields={"copy_filer_id": copy.filer_id, "removal_task_id": None},
        )

        def removing(task: StartedTask) -> Change:
            return Change(
                actor=BOT,
                action="copy removal started",
                detail=f"task {task.task_id}",
                query_id=task.query_id,
                fields={"removal_task_id": task.task_id},
                notices=[
                    NoticeDraft(
                        NoticeKind.THREAD,
                        f"removing-{task.task_id}",
                        request.channel,
                        messages.removing(request, task.task_id, user),
                    )
                ],
            )

        if not self._gate.run(
            request,
            REMOVAL,
            decision,
            lambda: self._ovh.remove_filer(spec.dest_service, spec.dest_datacenter_id, copy.filer_id),
            on_success=removing,
            refused=lambda error: messages.removal_refused(request, error),
            in_doubt=lambda error: messages.removal_in_doubt(request, error),
        ):
            raise Conflict(f"request #{request_id} is already {self._require(request_id).state}")
        return self._require(request_id)

    @_about_request
    def adopt(self, request_id: int, task_id: int, user: str) -> MigrationRequest:
        """A person decides which task a call in doubt created (four-eyes, like an approval)."""
        request = self._require(request_id)
        self.check_approver(request, user)
        operation = request.in_doubt
        if operation is None or operation is RELAUNCH:
            raise Conflict(f"request #{request_id} is {request.state}: there is no task to choose")
        if task_id not in {t.task_id for t in request.candidates}:
            raise Conflict(
                f"task {task_id} is not among the candidates of request #{request_id}; see its card"
            )
        self._tracker.doubt.adopt(request, operation, task_id, actor=user)
        return self._require(request_id)

    @_about_request
    def close_not_started(self, request_id: int, user: str) -> MigrationRequest:
        """A person who checked at OVHcloud that the call in doubt started nothing closes the doubt:
        the request goes back to where the call left it (failed for a migration or a relaunch, done
        for a removal). The API is not called."""
        request = self._require(request_id)
        self.check_approver(request, user)
        operation = request.in_doubt
        if operation is None:
            raise Conflict(f"request #{request_id} is {request.state}: nothing is in doubt")
        change = Change(
            actor=user,
            action="closed: not started",
            detail=f"{operation.name}: checked at OVHcloud that nothing started",
            fields={"in_doubt_since": None, "candidates": ()},
            notices=self._chat.thread_and_incident(
                request, f"closed-{request.state}", messages.closed(request, user, operation.name)
            ),
        )
        if not self._chat.move(request, request.state, operation.not_started, change):
            raise Conflict(f"request #{request_id} is already {self._require(request_id).state}")
        return self._require(request_id)

    @_about_request
    def reject(self, request_id: int, user: str) -> MigrationRequest:
        request = self._require(request_id)
        self.check_approver(request, user)
        now = self._clock.now()
        change = Change(
            actor=user, action="rejected", fields={"decided_by": user, "decided_at": now.isoformat()}
        )
        if not self._repo.transition(request_id, State.PENDING, State.REJECTED, change, now):
            raise self._not_pending(request_id)
        self._chat.refresh_card(request_id)
        return self._require(request_id)

    @_about_request
    def cancel(self, request_id: int, user: str) -> MigrationRequest:
        request = self._require(request_id)
        if user != request.requester:
            try:
                self.check_approver(request, user)
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
        change = Change(
            actor=user, action="cancelled", fields={"decided_by": user, "decided_at": now.isoformat()}
        )
        if not self._repo.transition(request_id, State.PENDING, State.CANCELLED, change, now):
            raise self._not_pending(request_id)
        self._chat.refresh_card(request_id)
        return self._require(request_id)

    # ------------------------------------------------------------ plumbing
