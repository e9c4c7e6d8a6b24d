"""The request, its state machine, the rules and the project's errors.

Pure Python: nothing here knows about Slack, OVHcloud or SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

# ---------------------------------------------------------------- errors


class PccBotError(Exception):
    """An error whose message is written for the person who asked, as plain text (escaped when shown in
    Slack). ``markup``, when given, is the same message with Slack markup meant as such (a link)."""

    def __init__(self, *args: object, markup: str | None = None) -> None:
        super().__init__(*args)
        self.markup = markup


class UsageError(PccBotError):
    """The command text does not fit the grammar."""


class NotFound(PccBotError):
    """A PCC, datacenter, filer, task or request does not exist."""


#: The value of a form list's "loading" option: no service name or id looks like it.
NOT_AN_OPTION = "-"


class Field(StrEnum):
    """The part of a migration request a problem is about (the modal shows it on that field)."""

    SOURCE = "source"
    SOURCE_DATACENTER = "source_datacenter"
    FILER = "filer"
    DESTINATION = "destination"
    DESTINATION_DATACENTER = "destination_datacenter"


class RuleViolation(PccBotError):
    """A migration request breaks one or more of the rules (README, 'Commands')."""

    def __init__(self, problems: list[tuple[Field, str]]) -> None:
        self.problems = problems
        self.violations = [text for _, text in problems]
        super().__init__("Request refused:\n" + "\n".join(f"• {v}" for v in self.violations))

    def by_field(self) -> dict[Field, str]:
        found: dict[Field, str] = {}
        for field_name, text in self.problems:
            found[field_name] = f"{found[field_name]}; {text}" if field_name in found else text
        return found


class NotAllowed(PccBotError):
    """The person may not do this (approve their own request, not an approver...)."""


class Conflict(PccBotError):
    """The request is no longer in a state that allows this action."""


class StorageError(PccBotError):
    """The database could not be read or written."""


class OvhApiError(PccBotError):
    """An OVHcloud API call failed.

    ``ambiguous`` is True when the call may have been carried out anyway (timeout, 5xx, lost
    connection): a mutating call in that state must be reconciled, never retried blindly.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_class: str | None = None,
        query_id: str | None = None,
        ambiguous: bool = False,
    ) -> None:
        self.status = status
        self.error_class = error_class
        self.query_id = query_id
        self.ambiguous = ambiguous
        self.retry_after: float | None = None  # seconds a 429 asked to wait
        suffix = f" (OVH query id {query_id})" if query_id else ""
        super().__init__(f"OVHcloud API error: {message}{suffix}")


class OvhNotFound(OvhApiError, NotFound):
    """OVHcloud answered 404."""


class BudgetSpent(OvhApiError):
    """The call was not sent: the OVHcloud call budget had no room within the wait allowed."""


# ---------------------------------------------------------------- inventory


@dataclass(frozen=True)
class Pcc:
    service_name: str
    zone: str
    description: str = ""


#: The option states that can be judged; any other (enabling, disabling, migrating, error, unknown) cannot.
JUDGED_OPTION_STATES = frozenset({"enabled", "disabled"})


@dataclass(frozen=True)
class Certifications:
    """Security options that must carry over to the destination (HDS, PCI-DSS), by their API state
    (`option.StateEnum`; never subscribed counts as `disabled`)."""

    hds: str = "disabled"
    pcidss: str = "disabled"

    def options(self) -> tuple[tuple[str, str], ...]:
        return (("HDS", self.hds), ("PCI-DSS", self.pcidss))

    def enabled(self) -> list[str]:
        return [name for name, state in self.options() if state == "enabled"]


@dataclass(frozen=True)
class Datacenter:
    datacenter_id: int
    name: str
    commercial_name: str = ""
    description: str = ""


@dataclass(frozen=True)
class Filer:
    filer_id: int
    name: str
    size: str
    space_used_gb: float | None
    space_free_gb: float | None
    vm_total: int | None
    state: str
    is_global: bool = False  # a global datastore, mounted on every datacenter of the PCC


@dataclass(frozen=True)
class DatacenterFilers:
    datacenter: Datacenter
    filers: tuple[Filer, ...]
    #: Datastores known by id whose details were not read yet (the budget had no room): filled in later.
    unread: tuple[int, ...] = ()


@dataclass(frozen=True)
class FilerListing:
    pcc: Pcc
    datacenters: tuple[DatacenterFilers, ...]
    global_filers: tuple[Filer, ...] = ()

    @property
    def count(self) -> int:
        return sum(len(dc.filers) for dc in self.datacenters) + len(self.global_filers) + self.unread

    @property
    def unread(self) -> int:
        return sum(len(dc.unread) for dc in self.datacenters)


@dataclass(frozen=True)
class Task:
    task_id: int
    name: str
    state: str
    progress: int | None
    description: str | None = None
    filer_id: int | None = None
    datacenter_id: int | None = None
    executed_at: datetime | None = None  # the API's executionDate


@dataclass(frozen=True)
class CopyStatus:
    """copyFilerStatus for one filer: percentage and bytes copied (the API's `transfered`, sic)."""

    progress: int | None
    transferred: str | None
    state: str


#: The copyFiler body's `accept` stands for this text, verbatim from the API schema (typos included).
COPY_FILER_CONSENT = (
    "By triggering this API call(s), you accept to replicate data from one of yours private cloud instance "
    "to another instance allocated to you, and you understand that a temporary copy will be performed to a "
    "intermerdiary server. This server is a mutualized infrastructure used by several customers during the "
    "migration operation. Your data will be protected by technical fully automated segregation (Access "
    "right, network ACL, etc...). Data will be accessible only through vSphere interface with no direct "
    "access from any customer to the intermediary server."
)


@dataclass(frozen=True)
class StartedTask:
    task_id: int
    query_id: str | None


#: TaskStateEnum values that end a task.
TASK_DONE = "done"
TASK_FAILED_STATES = frozenset({"error", "canceled"})
#: What each of OVHcloud's eleven TaskStateEnum values means to the people watching the card.
TASK_STATE_MEANINGS = {
    "toCreate": "queued (being created)",
    "todo": "queued",
    "waitingTodo": "queued (waiting for its turn)",
    "doing": "running",
    "waitingForChilds": "waiting for its sub-tasks",
    "fixing": "OVHcloud is repairing it",
    "toCancel": "being cancelled",
    "canceled": "cancelled",
    "error": "ended in error",
    "done": "done",
    "unknown": "in a state OVHcloud calls unknown",
}


# ---------------------------------------------------------------- state machine


class State(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REPLICATING = "replicating"
    DONE = "done"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REMOVING = "removing"  # the read-only copy is being removed from the destination
    REMOVED = "removed"
    RELAUNCHING = "relaunching"  # resetTaskState is being sent for a task in `error`
    RELAUNCH_IN_DOUBT = "relaunch_in_doubt"  # resetTaskState got no clear answer: checked by reading
    REMOVAL_IN_DOUBT = "removal_in_doubt"  # the copy's removal got no clear answer: checked by reading


TRANSITIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.APPROVED, State.REJECTED, State.CANCELLED, State.EXPIRED}),
    # FAILED from APPROVED: the API refused the POST outright (4xx), so nothing started.
    State.APPROVED: frozenset({State.REPLICATING, State.FAILED, State.NEEDS_ATTENTION}),
    State.REPLICATING: frozenset({State.DONE, State.FAILED}),
    # An approver relaunches a task that ended in `error` (resetTaskState); FAILED is final otherwise.
    State.FAILED: frozenset({State.RELAUNCHING}),
    State.RELAUNCHING: frozenset({State.REPLICATING, State.FAILED, State.RELAUNCH_IN_DOUBT}),
    State.RELAUNCH_IN_DOUBT: frozenset({State.REPLICATING, State.FAILED}),
    # Once the VMs are cloned, an approver removes the read-only copy; a refused removal leaves it done.
    State.DONE: frozenset({State.REMOVING}),
    State.REMOVING: frozenset({State.REMOVED, State.DONE, State.REMOVAL_IN_DOUBT}),
    State.REMOVAL_IN_DOUBT: frozenset({State.REMOVING, State.REMOVED, State.DONE}),
    # The poller may still find the task (by reading), or an approver adopts one or closes it.
    State.NEEDS_ATTENTION: frozenset({State.REPLICATING, State.FAILED}),
}

ACTIVE_STATES = frozenset(
    {
        State.PENDING,
        State.APPROVED,
        State.REPLICATING,
        State.NEEDS_ATTENTION,
        State.RELAUNCHING,
        State.RELAUNCH_IN_DOUBT,
    }
)

#: Migrations under way: approved and not yet finished (the board and the App Home list them).
IN_FLIGHT_STATES = ACTIVE_STATES - {State.PENDING}
#: Requests whose copy was made (whatever happens to it after).
COPIED_STATES = frozenset({State.DONE, State.REMOVING, State.REMOVAL_IN_DOUBT, State.REMOVED})


@dataclass(frozen=True)
class Operation:
    """A mutating OVHcloud call and the states around it. Every such call follows one rule: only the
    winner of the compare-and-set ``origin -> calling`` sends it, once; an explicit refusal moves the
    request to ``refused``; an ambiguous outcome to ``in_doubt``, which the poller resolves by reading."""

    name: str
    origin: State
    calling: State
    success: State
    refused: State
    in_doubt: State
    #: What "Close: not started" does to a request in doubt (the call is then known not to have run).
    not_started: State


MIGRATION = Operation(
    "migration",
    origin=State.PENDING,
    calling=State.APPROVED,
    success=State.REPLICATING,
    refused=State.FAILED,
    in_doubt=State.NEEDS_ATTENTION,
    not_started=State.FAILED,
)
RELAUNCH = Operation(
    "relaunch",
    origin=State.FAILED,
    calling=State.RELAUNCHING,
    success=State.REPLICATING,
    refused=State.FAILED,
    in_doubt=State.RELAUNCH_IN_DOUBT,
    not_started=State.FAILED,
)
REMOVAL = Operation(
    "removal",
    origin=State.DONE,
    calling=State.REMOVING,  # until the removal task id is stored
    success=State.REMOVING,
    refused=State.DONE,
    in_doubt=State.REMOVAL_IN_DOUBT,
    not_started=State.DONE,
)
OPERATIONS = (MIGRATION, RELAUNCH, REMOVAL)
IN_DOUBT_STATES = frozenset(op.in_doubt for op in OPERATIONS)


def operation_in_doubt(state: State) -> Operation | None:
    """The operation whose outcome is unknown when a request is in ``state``."""
    return next((op for op in OPERATIONS if op.in_doubt == state), None)


def can_transition(source: State, target: State) -> bool:
    return target in TRANSITIONS.get(source, frozenset())


def check_transition(source: State, target: State) -> None:
    if not can_transition(source, target):
        raise Conflict(f"a request that is {source} cannot become {target}")


@dataclass(frozen=True)
class MigrationSpec:
    """What a person asked for: the five ids of `/pcc migrate`."""

    source_service: str
    source_datacenter_id: int
    filer_id: int
    dest_service: str
    dest_datacenter_id: int


@dataclass(frozen=True)
class RequestDraft:
    """A request as filed, before it is stored: what the card shows and the API call approval makes."""

    spec: MigrationSpec
    requester: str
    channel: str
    created_at: datetime
    expires_at: datetime
    filer_name: str
    filer_size: str
    vm_total: int | None
    source_zone: str
    dest_zone: str
    api_call: str
    #: The migration route chosen at filing (linkFilerFromSbg or copyFiler): the card and the call agree.
    route: str


@dataclass(frozen=True)
class MigrationRequest(RequestDraft):
    id: int
    state: State
    approver: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    task_id: int | None = None
    task_state: str | None = None
    progress: int | None = None
    last_error: str | None = None
    query_id: str | None = None
    card_channel: str | None = None
    card_ts: str | None = None
    updated_at: datetime | None = None
    last_check_at: datetime | None = None
    progress_changed_at: datetime | None = None
    card_updated_at: datetime | None = None
    transferred: str | None = None
    retries: int = 0
    removal_task_id: int | None = None
    #: When the winner of the last compare-and-set started its mutating call.
    called_at: datetime | None = None
    #: Since when the outcome of the last mutating call is unknown (an in-doubt state).
    in_doubt_since: datetime | None = None
    #: Tasks that might be the one the call in doubt created, for a person to choose from.
    candidates: tuple[Task, ...] = ()
    #: The restore datastore being removed (its filer id in the destination datacenter).
    copy_filer_id: int | None = None

    @property
    def can_retry(self) -> bool:
        """Only a task that ended in `error` can be relaunched (resetTaskState)."""
        return self.state == State.FAILED and self.task_state == "error" and self.task_id is not None

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def uses_copy_filer(self) -> bool:
        """Filed under the second API generation: consent to quote, copyFilerStatus to read."""
        return self.route == "copyFiler"

    @property
    def in_doubt(self) -> Operation | None:
        return operation_in_doubt(self.state)

    def operation_task_names(self, operation: Operation) -> frozenset[str]:
        """The task names the operation creates at OVHcloud (compared case-insensitively)."""
        return frozenset({"removefiler"}) if operation is REMOVAL else frozenset({self.route.lower()})


#: OVHcloud's clock and ours may differ a little: a task stamped this much before the decision still counts.
CLOCK_MARGIN = timedelta(minutes=2)


def sort_tasks(
    request: MigrationRequest, operation: Operation, tasks: Sequence[Task]
) -> tuple[list[Task], list[Task]]:
    """(proven, candidates) among tasks read after a call in doubt.

    Proven: in the destination datacenter, created after the decision, carrying the filer id the call
    was about and the operation's task name. Candidates: every task that might be it (no other
    filer id, no other datacenter, not older than the decision): a person chooses among them.
    """
    filer = request.copy_filer_id if operation is REMOVAL else request.spec.filer_id
    names = request.operation_task_names(operation)
    datacenter = request.spec.dest_datacenter_id
    since = (request.called_at or request.decided_at or request.created_at) - CLOCK_MARGIN
    proven = [
        t
        for t in tasks
        if t.datacenter_id == datacenter
        and t.executed_at is not None
        and t.executed_at >= since
        and t.filer_id == filer
        and t.name.lower() in names
    ]
    candidates = [
        t
        for t in tasks
        if t.datacenter_id in (datacenter, None)
        and (t.executed_at is None or t.executed_at >= since)
        and t.filer_id in (filer, None)
    ]
    return proven, candidates


@dataclass(frozen=True)
class AuditEntry:
    request_id: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: str = ""
    query_id: str | None = None


class NoticeKind(StrEnum):
    CARD = "card"  # the request's card, posted in the request's channel
    THREAD = "thread"  # a reply in the card's thread
    INCIDENT = "incident"  # a message in the incident room


class NoticeButton(StrEnum):
    """An action a notice offers next to its text."""

    RETRY = "retry"
    REMOVE_COPY = "remove_copy"
    DECIDE = "decide"  # a call in doubt: Adopt task N for each candidate, and Close: not started


@dataclass(frozen=True)
class NoticeDraft:
    """A notice to queue: sent once per (request, key), in a thread or a channel."""

    kind: NoticeKind
    key: str
    channel: str
    text: str
    button: NoticeButton | None = None


@dataclass(frozen=True)
class Notice:
    id: int
    request_id: int
    kind: NoticeKind
    key: str
    channel: str
    text: str
    attempts: int = 0
    button: NoticeButton | None = None


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class ZonePolicy:
    source_zone: str = "sbg1a"
    allowed_zones: frozenset[str] = field(default_factory=frozenset)

    def is_source_zone(self, zone: str) -> bool:
        return zone == self.source_zone

    def allows_destination(self, zone: str) -> bool:
        return zone != self.source_zone and (not self.allowed_zones or zone in self.allowed_zones)


def rule_violations(
    *,
    source: Pcc,
    source_certs: Certifications,
    dest: Pcc,
    dest_certs: Certifications,
    policy: ZonePolicy,
) -> list[tuple[Field, str]]:
    """Every rule (README, 'Commands') that the pair breaks, each naming the rule and the values.

    Existence of the PCCs, datacenters and filer is checked before, by looking them up.
    """
    problems: list[tuple[Field, str]] = []
    src, dst = source.service_name, dest.service_name
    if source.zone != policy.source_zone:
        problems.append(
            (Field.SOURCE, f"source {src} is in {source.zone}, but sources must be in {policy.source_zone}")
        )
    if dest.zone == policy.source_zone:
        outside = f"the destination must be outside {policy.source_zone}"
        problems.append((Field.DESTINATION, f"destination {dst} is in {dest.zone}: {outside}"))
    elif policy.allowed_zones and dest.zone not in policy.allowed_zones:
        allowed = ", ".join(sorted(policy.allowed_zones))
        problems.append(
            (
                Field.DESTINATION,
                f"destination {dst} is in {dest.zone}, which is not an allowed zone ({allowed})",
            )
        )
    if src == dst:
        problems.append((Field.DESTINATION, f"source and destination are the same PCC ({src})"))
    for (option, src_state), (_, dst_state) in zip(source_certs.options(), dest_certs.options(), strict=True):
        for side, name, state, about in (
            ("source", src, src_state, Field.SOURCE),
            ("destination", dst, dst_state, Field.DESTINATION),
        ):
            if state not in JUDGED_OPTION_STATES:
                problems.append(
                    (
                        about,
                        f"{side} {name} has {option} `{state}`: only enabled or disabled can be judged; "
                        "file again once OVHcloud has settled it",
                    )
                )
        if src_state == "enabled" and dst_state == "disabled":
            problems.append(
                (Field.DESTINATION, f"source {src} has {option} enabled, destination {dst} does not")
            )
    return problems


class NoticeNotDelivered(Exception):
    """The chat did not accept a message; it stays queued. ``retry_after`` in seconds when known;
    ``permanent`` when sending it again cannot help (channel gone, bot not in it, message refused)."""

    def __init__(self, reason: str, retry_after: float | None = None, *, permanent: bool = False) -> None:
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent
        super().__init__(reason)
