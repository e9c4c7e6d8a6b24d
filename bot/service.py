"""Use cases: what a person (or the scheduler) can ask of pcc-bot.

Imports nothing from Slack, OVHcloud or SQLite: the adapters come in through the ports.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Concatenate, ParamSpec, TypeVar

from bot import logs, messages
from bot.audit import audit_csv
from bot.domain import (
    TASK_DONE,
    TASK_FAILED_STATES,
    AuditEntry,
    Certifications,
    Conflict,
    CopyStatus,
    Field,
    FilerListing,
    MigrationRequest,
    MigrationSpec,
    NotAllowed,
    NotFound,
    NoticeButton,
    NoticeDraft,
    NoticeKind,
    NoticeNotDelivered,
    OvhApiError,
    PccBotError,
    RequestDraft,
    RuleViolation,
    State,
    Task,
    ZonePolicy,
    rule_violations,
)
from bot.polling import PollPlanner
from bot.ports import Board, Change, Clock, Directory, MessageRef, Notifier, OvhGateway, Repository

log = logging.getLogger(__name__)

BOT = "pcc-bot"
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


@dataclass(frozen=True)
class Home:
    mine: tuple[MigrationRequest, ...]
    to_approve: tuple[MigrationRequest, ...]
    active: tuple[MigrationRequest, ...]


@dataclass(frozen=True)
class ServiceSettings:
    approvers: frozenset[str]  # Slack user ids (U…/W…) and user group ids (S…)
    incident_channel: str | None = None
    policy: ZonePolicy = field(default_factory=ZonePolicy)
    approval_ttl: timedelta = timedelta(days=1)
    notice_batch: int = 50
    read_only: bool = False
    poll_period: timedelta = timedelta(seconds=60)
    #: The poller's share of the OVHcloud budget; the rest stays for people's commands.
    poll_budget_per_minute: float = 48.0
    stall_after: timedelta = timedelta(hours=3)
    #: A card is edited when its task moves, and at least this often while it replicates ("last check").
    card_refresh: timedelta = timedelta(minutes=15)

    @property
    def approver_users(self) -> frozenset[str]:
        return frozenset(a for a in self.approvers if not a.startswith("S"))

    @property
    def approver_groups(self) -> frozenset[str]:
        return frozenset(a for a in self.approvers if a.startswith("S"))


def _retry_delay(attempts: int) -> timedelta:
    """Backoff for a notice the chat did not accept: 5 s, 10 s, 20 s... capped at 5 minutes."""
    return timedelta(seconds=min(300, 5 * 2**attempts))


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
    ) -> None:
        self._ovh = gateway
        self._repo = repo
        self._notifier = notifier
        self._directory = directory
        self._settings = settings
        self._clock = clock
        self._delivery = threading.Lock()
        self._planner = PollPlanner(settings.poll_period, settings.poll_budget_per_minute, clock.now())
        self._searched: dict[int, datetime] = {}  # needs_attention request -> last task search

    # ------------------------------------------------------------ reading

    def list_filers(self, service: str, datacenter_id: int | None) -> FilerListing:
        return self._ovh.filer_listing(service, datacenter_id)

    def recent(self, limit: int = 15) -> list[MigrationRequest]:
        return self._repo.recent(limit)

    def form_options(self, field: Field, typed: str, chosen: dict[Field, str]) -> list[tuple[str, str]]:
        """(value, label) pairs for one field of the migrate form, from the live inventory, filtered by
        what the person typed; a field that depends on another one offers nothing until it is chosen."""
        policy = self._settings.policy
        options: list[tuple[str, str]] = []
        if field in (Field.SOURCE, Field.DESTINATION):
            for pcc in self._ovh.list_pccs():
                if (policy.is_source_zone if field == Field.SOURCE else policy.allows_destination)(pcc.zone):
                    options.append((pcc.service_name, f"{pcc.service_name} ({pcc.zone}) {pcc.description}"))
        elif field in (Field.SOURCE_DATACENTER, Field.DESTINATION_DATACENTER):
            service = chosen.get(Field.SOURCE if field == Field.SOURCE_DATACENTER else Field.DESTINATION)
            if service:
                options = [
                    (str(dc.datacenter_id), f"{dc.datacenter_id} {dc.name} {dc.commercial_name}")
                    for dc in self._ovh.list_datacenters(service)
                ]
        elif Field.SOURCE in chosen and Field.SOURCE_DATACENTER in chosen:
            listing = self._ovh.filer_listing(chosen[Field.SOURCE], int(chosen[Field.SOURCE_DATACENTER]))
            options = [
                (str(f.filer_id), f"{f.name} ({f.size}, {f.vm_total} VMs)")
                for dc in listing.datacenters
                for f in dc.filers
            ]
        needle = typed.strip().lower()
        return [(value, label[:75]) for value, label in options if needle in label.lower()][:100]

    def home(self, user: str) -> Home:
        """What the App Home tab shows this person."""
        recent = self._repo.recent(200)
        pending = [r for r in recent if r.state == State.PENDING]
        waiting = []
        for request in pending:
            try:
                self.check_approver(request, user)
            except NotAllowed:
                continue
            waiting.append(request)
        return Home(
            mine=tuple(r for r in recent if r.requester == user)[:10],
            to_approve=tuple(waiting),
            active=tuple(
                r for r in recent if r.state in (State.APPROVED, State.REPLICATING, State.NEEDS_ATTENTION)
            ),
        )

    def status(self, request_id: int) -> tuple[MigrationRequest, list[AuditEntry]]:
        return self._require(request_id), self._repo.history(request_id)

    def _require(self, request_id: int) -> MigrationRequest:
        request = self._repo.get(request_id)
        if request is None:
            raise NotFound(f"request #{request_id} not found")
        return request

    def export_audit(self, days: int, channel: str, user: str) -> int:
        """Upload the audit trail of the last ``days`` days as CSV to ``channel``; returns its lines."""
        now = self._clock.now()
        rows = self._repo.audit_since(now - timedelta(days=days))
        name = f"pcc-bot-audit-{now:%Y%m%d-%H%M}-{days}d.csv"
        try:
            self._notifier.upload(
                channel,
                name,
                audit_csv(rows),
                f"Audit of the last {days} day(s): {len(rows)} line(s), asked by <@{user}>.",
            )
        except NoticeNotDelivered as error:
            raise PccBotError(f"the audit file could not be uploaded: {error}") from error
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
            raise Conflict(
                f"filer {spec.filer_id} of {spec.source_service} already has an active request: "
                f"#{active.id} ({active.state}); see {messages.thread_link(active)}"
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
        dest_certs = (
            self._ovh.get_certifications(spec.dest_service) if source_certs.enabled() else Certifications()
        )
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
                api_call=self._ovh.migration_call(spec),
            ),
            card_channel=channel,
        )
        log.info("request #%d filed by %s: %s", request.id, requester, request.api_call)
        self.deliver_notices()
        return self._require(request.id)

    # ------------------------------------------------------------ decisions

    def check_approver(self, request: MigrationRequest, user: str) -> None:
        """Re-checked on every click: a listed user or group member, never the requester."""
        if user == request.requester:
            raise NotAllowed(
                f"you filed request #{request.id} yourself; another approver has to approve or reject it"
            )
        if user in self._settings.approver_users:
            return
        for group in sorted(self._settings.approver_groups):
            if user in self._directory.group_members(group):
                return
        raise NotAllowed(
            f"only the approvers listed in PCC_APPROVERS can approve or reject request #{request.id}"
        )

    def _expire_if_due(self, request: MigrationRequest) -> None:
        now = self._clock.now()
        if request.state == State.PENDING and now >= request.expires_at:
            change = Change(actor=BOT, action="expired", detail=f"not approved by {request.expires_at}")
            if self._repo.transition(request.id, State.PENDING, State.EXPIRED, change, now):
                self._refresh_card(request.id)
            raise Conflict(f"request #{request.id} expired at {request.expires_at:%Y-%m-%d %H:%M} UTC")

    def _not_pending(self, request_id: int) -> Conflict:
        current = self._require(request_id)
        by = f" by <@{current.decided_by}>" if current.decided_by else ""
        return Conflict(f"request #{request_id} is already {current.state}{by}")

    @_about_request
    def approve(self, request_id: int, user: str) -> MigrationRequest:
        """The first valid click wins (compare-and-set); only the winner calls the API, once."""
        self._refuse_if_read_only("approving a migration")
        request = self._require(request_id)
        self.check_approver(request, user)
        self._expire_if_due(request)
        now = self._clock.now()
        change = Change(
            actor=user,
            action="approved",
            detail="accepted the copyFiler conditions quoted on the card" if request.uses_copy_filer else "",
            fields={"approver": user, "decided_by": user, "decided_at": now.isoformat()},
        )
        if not self._repo.transition(request_id, State.PENDING, State.APPROVED, change, now):
            raise self._not_pending(request_id)
        log.info("request #%d approved by %s", request_id, user)
        self._refresh_card(request_id)
        self._start_migration(self._require(request_id))
        return self._require(request_id)

    def _start_migration(self, request: MigrationRequest) -> None:
        try:
            started = self._ovh.start_migration(request.spec)
        except OvhApiError as error:
            ambiguous = error.ambiguous
            target = State.NEEDS_ATTENTION if ambiguous else State.FAILED
            text = messages.ambiguous(request, error) if ambiguous else messages.refused(request, error)
            self._move(
                request,
                State.APPROVED,
                target,
                Change(
                    actor=BOT,
                    action="migration call failed",
                    detail=str(error),
                    query_id=error.query_id,
                    fields={"last_error": str(error), "query_id": error.query_id},
                    notices=self._thread_and_incident(request, "start-failed", text),
                ),
            )
            return
        self._move(
            request,
            State.APPROVED,
            State.REPLICATING,
            Change(
                actor=BOT,
                action="migration started",
                detail=request.api_call,
                query_id=started.query_id,
                fields={"task_id": started.task_id, "task_state": "todo", "progress": 0},
                notices=[
                    NoticeDraft(
                        NoticeKind.THREAD,
                        "started",
                        request.channel,
                        messages.started(request, started.task_id),
                    )
                ],
            ),
        )

    @_about_request
    def retry(self, request_id: int, user: str) -> MigrationRequest:
        """Relaunch a task that ended in `error` (resetTaskState), gated like an approval; once per click
        that wins the compare-and-set, and tracked again like the first run."""
        self._refuse_if_read_only("relaunching a task")
        request = self._require(request_id)
        self.check_approver(request, user)
        if not request.can_retry:
            raise Conflict(
                f"request #{request_id} is {request.state} (task {request.task_state}): only a task "
                "that ended in `error` can be relaunched"
            )
        assert request.task_id is not None
        attempt = request.retries + 1
        change = Change(
            actor=user,
            action="retry approved",
            detail=f"resetTaskState on task {request.task_id}",
            fields={"retries": attempt, "task_state": "relaunching"},
        )
        if not self._repo.transition(request_id, State.FAILED, State.REPLICATING, change, self._clock.now()):
            raise Conflict(f"request #{request_id} is already being relaunched")
        self._refresh_card(request_id)
        reason = f"pcc-bot request #{request_id}: relaunch approved by {user} (attempt {attempt})"
        try:
            task = self._ovh.reset_task(request.spec.dest_service, request.task_id, reason)
        except OvhApiError as error:
            self._move(
                self._require(request_id),
                State.REPLICATING,
                State.FAILED,
                Change(
                    actor=BOT,
                    action="retry refused",
                    detail=str(error),
                    query_id=error.query_id,
                    fields={"task_state": "error", "last_error": str(error)},
                    notices=self._thread_and_incident(
                        request, f"retry-refused-{attempt}", messages.retry_refused(request, error)
                    ),
                ),
            )
            return self._require(request_id)
        now = self._clock.now()
        self._repo.update_fields(
            request_id,
            {"task_state": task.state, "progress": task.progress, "progress_changed_at": now.isoformat()},
            now,
        )
        self._repo.queue_notice(
            request_id,
            NoticeDraft(
                NoticeKind.THREAD,
                f"retried-{attempt}",
                request.channel,
                messages.retried(request, task, user),
            ),
            now,
        )
        self._refresh_card(request_id)
        self.deliver_notices()
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
        change = Change(actor=user, action="copy removal approved", detail=f"{name} (filer {copy.filer_id})")
        if not self._repo.transition(request_id, State.DONE, State.REMOVING, change, self._clock.now()):
            raise Conflict(f"request #{request_id} is already {self._require(request_id).state}")
        try:
            started = self._ovh.remove_filer(spec.dest_service, spec.dest_datacenter_id, copy.filer_id)
        except OvhApiError as error:
            self._move(
                self._require(request_id),
                State.REMOVING,
                State.DONE,
                Change(
                    actor=BOT,
                    action="copy removal refused",
                    detail=str(error),
                    query_id=error.query_id,
                    notices=[
                        NoticeDraft(
                            NoticeKind.THREAD,
                            f"removal-refused-{self._clock.now().isoformat()}",
                            request.channel,
                            messages.removal_refused(request, error),
                        )
                    ],
                ),
            )
            return self._require(request_id)
        self._repo.update_fields(request_id, {"removal_task_id": started.task_id}, self._clock.now())
        self._repo.queue_notice(
            request_id,
            NoticeDraft(
                NoticeKind.THREAD,
                f"removing-{started.task_id}",
                request.channel,
                messages.removing(request, started.task_id, user),
            ),
            self._clock.now(),
        )
        self._refresh_card(request_id)
        self.deliver_notices()
        return self._require(request_id)

    def _track_removal(self, request: MigrationRequest) -> None:
        if request.removal_task_id is None:
            return  # the bot stopped before storing the task: the removal shows on the PCC's tasks
        task = self._ovh.get_task(request.spec.dest_service, request.removal_task_id)
        if task.state == TASK_DONE:
            self._move(
                request,
                State.REMOVING,
                State.REMOVED,
                Change(
                    actor=BOT,
                    action="copy removed",
                    detail=f"task {task.task_id}",
                    notices=[
                        NoticeDraft(NoticeKind.THREAD, "removed", request.channel, messages.removed(request))
                    ],
                ),
            )
        elif task.state in TASK_FAILED_STATES:
            self._move(
                request,
                State.REMOVING,
                State.DONE,
                Change(
                    actor=BOT,
                    action="copy removal failed",
                    detail=f"task {task.task_id} {task.state}",
                    notices=[
                        NoticeDraft(
                            NoticeKind.THREAD,
                            f"removal-failed-{task.task_id}",
                            request.channel,
                            messages.removal_failed(request, task),
                        )
                    ],
                ),
            )

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
        self._refresh_card(request_id)
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
        if request.state != State.PENDING:
            raise Conflict(
                f"request #{request_id} is {request.state}: only a pending request can be cancelled"
            )
        now = self._clock.now()
        change = Change(
            actor=user, action="cancelled", fields={"decided_by": user, "decided_at": now.isoformat()}
        )
        if not self._repo.transition(request_id, State.PENDING, State.CANCELLED, change, now):
            raise self._not_pending(request_id)
        self._refresh_card(request_id)
        return self._require(request_id)

    # ------------------------------------------------------------ tracking

    def poll_once(self) -> None:
        """One scheduler tick: expire, track replicating tasks, look for lost tasks, send notices."""
        now = self._clock.now()
        for request in self._repo.in_states([State.PENDING]):
            try:
                self._expire_if_due(request)
            except Conflict:
                log.info("request #%d expired", request.id)
                continue
            if now >= request.created_at + self._settings.approval_ttl / 2:
                self._repo.queue_notice(
                    request.id,
                    NoticeDraft(NoticeKind.THREAD, "reminder", request.channel, messages.reminder(request)),
                    now,
                )
        replicating = {r.id: r for r in self._repo.in_states([State.REPLICATING])}
        calls = {request_id: 2 if r.uses_copy_filer else 1 for request_id, r in replicating.items()}
        for request_id in self._planner.due(list(replicating), self._clock.now(), cost=calls.__getitem__):
            request = replicating[request_id]
            try:
                with logs.context(request_id=request.id):
                    self._track(request)
            except PccBotError as error:
                log.warning("request #%d: could not read its task: %s", request.id, error)
        for request in self._repo.in_states([State.REMOVING]):
            try:
                self._track_removal(request)
            except PccBotError as error:
                log.warning("request #%d: could not read the removal task: %s", request.id, error)
        for request in self._repo.in_states([State.NEEDS_ATTENTION]):
            last = self._searched.get(request.id)
            if last is not None and self._clock.now() - last < self._settings.poll_period:
                continue
            self._searched[request.id] = self._clock.now()
            try:
                self._adopt(request, State.NEEDS_ATTENTION)
            except PccBotError as error:
                log.warning("request #%d: task search failed: %s", request.id, error)
        self.deliver_notices()
        self._refresh_board()

    def _refresh_board(self) -> None:
        """Post the incident-room board once, then edit it whenever what it shows changes."""
        channel = self._settings.incident_channel
        if not channel:
            return
        counts = self._repo.count_by_state()
        active = self._repo.in_states([State.APPROVED, State.REPLICATING, State.NEEDS_ATTENTION])
        board = Board(
            active=tuple(active),
            done=sum(counts.get(s.value, 0) for s in (State.DONE, State.REMOVING, State.REMOVED)),
            failed=counts.get(State.FAILED.value, 0),
        )
        saved = self._repo.board(channel)
        if saved is None and not (board.active or board.done or board.failed):
            return  # nothing to show yet
        if saved is not None and saved[1] == board.digest():
            return
        try:
            if saved is None:
                ref = self._notifier.post_board(channel, board)
            else:
                ref = MessageRef(channel, saved[0])
                self._notifier.update_board(ref, board)
        except NoticeNotDelivered as error:
            log.warning("incident board not updated (%s); the next poll retries", error)
            return
        self._repo.save_board(channel, ref.ts, board.digest(), self._clock.now())

    def _track(self, request: MigrationRequest) -> None:
        assert request.task_id is not None
        task = self._ovh.get_task(request.spec.dest_service, request.task_id)
        if task.state == TASK_DONE:
            self._move(
                request,
                State.REPLICATING,
                State.DONE,
                Change(
                    actor=BOT,
                    action="replication done",
                    detail=f"task {task.task_id}",
                    fields={"task_state": task.state, "progress": 100},
                    notices=self._thread_and_incident(
                        request, "done", messages.completed(request), NoticeButton.REMOVE_COPY
                    ),
                ),
            )
        elif task.state in TASK_FAILED_STATES:
            self._move(
                request,
                State.REPLICATING,
                State.FAILED,
                Change(
                    actor=BOT,
                    action="replication failed",
                    detail=f"task {task.task_id} {task.state}",
                    fields={
                        "task_state": task.state,
                        "progress": task.progress,
                        "last_error": task.description,
                    },
                    notices=self._thread_and_incident(
                        request,
                        f"failed-{request.retries}",
                        messages.failed(request, task),
                        NoticeButton.RETRY if task.state == "error" else None,
                    ),
                ),
            )
        else:
            self._observe_progress(request, task, self._copy_status(request))

    def _copy_status(self, request: MigrationRequest) -> CopyStatus | None:
        if not request.uses_copy_filer:
            return None
        try:
            return self._ovh.copy_status(request.spec)
        except PccBotError as error:  # the task still says enough; progress waits for the next poll
            log.warning("request #%d: copyFilerStatus unreadable: %s", request.id, error)
            return None

    def _observe_progress(self, request: MigrationRequest, task: Task, copy: CopyStatus | None) -> None:
        """Record a reading of a running task; edit the card when it moved (or to refresh "last
        check"); warn once per stall when it has not moved for PCC_STALL_SECONDS."""
        now = self._clock.now()
        progress = copy.progress if copy is not None and copy.progress is not None else task.progress
        moved = (task.state, progress) != (request.task_state, request.progress)
        fields: dict[str, object] = {
            "task_state": task.state,
            "progress": progress,
            "last_check_at": now.isoformat(),
        }
        if copy is not None and copy.transferred is not None:
            fields["transferred"] = copy.transferred
        self._planner.observed(request.id, progress, now)
        if moved or request.progress_changed_at is None:
            fields["progress_changed_at"] = now.isoformat()
        self._repo.update_fields(request.id, fields, now)
        stale_card = (
            request.card_updated_at is None or now - request.card_updated_at >= self._settings.card_refresh
        )
        if moved or stale_card:
            self._refresh_card(request.id)
        still_since = request.progress_changed_at
        if not moved and still_since is not None and now - still_since >= self._settings.stall_after:
            text = messages.stalled(request, task, still_since)
            for draft in self._thread_and_incident(request, f"stall-{still_since.isoformat()}", text):
                self._repo.queue_notice(request.id, draft, now)

    def reconcile(self) -> None:
        """On start: a request left `approved` was interrupted between the approval and the API's
        answer. Adopt its task if OVHcloud has one, else mark it needs_attention. Never re-POST."""
        for request in self._repo.in_states([State.APPROVED]):
            try:
                adopted = self._adopt(request, State.APPROVED)
            except PccBotError as error:
                log.warning("request #%d: task search failed: %s", request.id, error)
                adopted = False
            if not adopted:
                self._move(
                    request,
                    State.APPROVED,
                    State.NEEDS_ATTENTION,
                    Change(
                        actor=BOT,
                        action="interrupted",
                        detail="no task found after restart",
                        notices=self._thread_and_incident(
                            request, "interrupted", messages.interrupted(request)
                        ),
                    ),
                )
        self.deliver_notices()

    def _adopt(self, request: MigrationRequest, current: State) -> bool:
        since = (request.decided_at or request.created_at) - timedelta(minutes=5)
        tasks = self._ovh.find_tasks(request.spec.dest_service, request.spec.dest_datacenter_id, since)
        task = _matching_task(tasks, request.spec.filer_id)
        if task is None:
            return False
        self._move(
            request,
            current,
            State.REPLICATING,
            Change(
                actor=BOT,
                action="task adopted",
                detail=f"task {task.task_id} ({task.name})",
                fields={"task_id": task.task_id, "task_state": task.state, "progress": task.progress},
                notices=[
                    NoticeDraft(
                        NoticeKind.THREAD,
                        f"adopted-{task.task_id}",
                        request.channel,
                        messages.adopted(request, task),
                    )
                ],
            ),
        )
        return True

    # ------------------------------------------------------------ plumbing

    def _thread_and_incident(
        self, request: MigrationRequest, key: str, text: str, button: NoticeButton | None = None
    ) -> list[NoticeDraft]:
        notices = [NoticeDraft(NoticeKind.THREAD, key, request.channel, text, button)]
        if self._settings.incident_channel:
            channel = self._settings.incident_channel
            notices.append(NoticeDraft(NoticeKind.INCIDENT, f"{key}-incident", channel, text, button))
        return notices

    def _move(self, request: MigrationRequest, expected: State, target: State, change: Change) -> None:
        if self._repo.transition(request.id, expected, target, change, self._clock.now()):
            log.info(
                "request #%d: %s (%s -> %s) %s", request.id, change.action, expected, target, change.detail
            )
            self._refresh_card(request.id)
            self.deliver_notices()
        else:
            log.info("request #%d was no longer %s; %s skipped", request.id, expected, change.action)

    def _refresh_card(self, request_id: int) -> None:
        request = self._require(request_id)
        if request.card_ts is None:
            return  # the card is still queued; it will be posted with the current state
        try:
            self._notifier.update_card(request)
        except NoticeNotDelivered as error:
            log.warning("request #%d: card not updated (%s); the next change retries", request_id, error)
            return
        self._repo.update_fields(
            request_id, {"card_updated_at": self._clock.now().isoformat()}, self._clock.now()
        )

    def deliver_notices(self) -> int:
        """Send what is due in the outbox; a notice is marked sent only once the chat accepted it."""
        sent = 0
        with self._delivery:
            now = self._clock.now()
            for notice in self._repo.due_notices(now, self._settings.notice_batch):
                request = self._require(notice.request_id)
                offer = (notice.button, request.id) if notice.button else None
                try:
                    if notice.kind == NoticeKind.CARD:
                        ref = self._notifier.post_card(request)
                        self._repo.set_card(request.id, ref.channel, ref.ts)
                    elif notice.kind == NoticeKind.THREAD:
                        if request.card_ts is None or request.card_channel is None:
                            raise NoticeNotDelivered("the card is not posted yet", retry_after=5)
                        self._notifier.post_text(request.card_channel, notice.text, request.card_ts, offer)
                    else:
                        self._notifier.post_text(notice.channel, notice.text, None, offer)
                except NoticeNotDelivered as error:
                    delay = (
                        timedelta(seconds=error.retry_after)
                        if error.retry_after is not None
                        else _retry_delay(notice.attempts)
                    )
                    log.warning(
                        "notice %d for request #%d not delivered (%s); retry in %s",
                        notice.id,
                        notice.request_id,
                        error,
                        delay,
                    )
                    self._repo.notice_failed(notice.id, str(error), now + delay)
                    continue
                self._repo.notice_sent(notice.id, self._clock.now())
                sent += 1
        return sent


def _matching_task(tasks: list[Task], filer_id: int) -> Task | None:
    """The task a lost migration call created: same filer id, or the only filer-copy task."""
    same_filer = [t for t in tasks if t.filer_id == filer_id]
    if len(same_filer) == 1:
        return same_filer[0]
    named = [t for t in tasks if t.filer_id is None and "filer" in t.name.lower()]
    return named[0] if len(named) == 1 else None
