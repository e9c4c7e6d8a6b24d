"""A migration request, its audit trail and its notices; which tasks a call in doubt may have created."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypedDict

from bot.domain.estimate import Estimate, Reading, estimate_end
from bot.domain.inventory import Task
from bot.domain.states import (
    LAUNCHES,
    MIGRATION,
    Operation,
    State,
    operation_calling,
    operation_in_doubt,
)


class MigrationApi(StrEnum):
    """The two generations of the copy call, by their route's last word (PCC_MIGRATION_API): the one
    place their names are written."""

    LINK_FILER = "linkFilerFromSbg"  # March 2021: mounts the replicated datastore
    COPY_FILER = "copyFiler"  # April 2021: consent required, progress in copyFilerStatus


@dataclass(frozen=True)
class MigrationSpec:
    """What a person asked for: the five ids of `/pcc migrate`."""

    source_service: str
    source_datacenter_id: int
    filer_id: int
    dest_service: str
    dest_datacenter_id: int


@dataclass(frozen=True, kw_only=True)
class Filed:
    """What a request and a plan share from their filing: who filed it, in which channel, when, until
    when it can be approved, and the zones and route checked then."""

    requester: str
    channel: str
    created_at: datetime
    expires_at: datetime
    source_zone: str
    dest_zone: str
    #: The migration route chosen at filing (linkFilerFromSbg or copyFiler): the card and the call agree.
    route: str

    @property
    def uses_copy_filer(self) -> bool:
        """Filed (a request, or a plan's datastores) under the second API generation: consent to quote,
        copyFilerStatus to read."""
        return self.route == MigrationApi.COPY_FILER

    def filed(self) -> Filed:
        """Just these fields (of a plan, say, whose datastores are filed alike)."""
        return Filed(**{name: getattr(self, name) for name in Filed.__dataclass_fields__})


@dataclass(frozen=True, kw_only=True)
class Recorded:
    """What a stored request and a stored plan share after filing: the decision, the card, the last
    change."""

    decided_by: str | None = None
    decided_at: datetime | None = None
    card_channel: str | None = None
    card_ts: str | None = None
    updated_at: datetime | None = None


class Datastore(Protocol):
    """A datastore as a request records it at filing (a filer read from the API, a plan's item)."""

    @property
    def name(self) -> str: ...

    @property
    def size(self) -> str: ...

    @property
    def vm_total(self) -> int | None: ...


@dataclass(frozen=True, kw_only=True)
class RequestDraft(Filed):
    """A request as filed, before it is stored: what the card shows and the API call approval makes."""

    spec: MigrationSpec
    filer_name: str
    filer_size: str
    vm_total: int | None
    api_call: str
    #: A batch restore's Veeam backup job (its repository is ``filer_name``), when one was named.
    backup_job_name: str | None = None

    @classmethod
    def of(cls, filed: Filed, spec: MigrationSpec, datastore: Datastore, api_call: str) -> RequestDraft:
        return cls(
            **vars(filed.filed()),
            spec=spec,
            filer_name=datastore.name,
            filer_size=datastore.size,
            vm_total=datastore.vm_total,
            api_call=api_call,
        )


@dataclass(frozen=True, kw_only=True)
class MigrationRequest(RequestDraft, Recorded):
    id: int
    state: State
    task_id: int | None = None
    task_state: str | None = None
    progress: int | None = None
    last_error: str | None = None
    query_id: str | None = None
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
    #: The plan this request is a datastore of (its card is the plan's board), if any.
    plan_id: int | None = None
    #: The task's recent progress changes (moment, percent), for its expected end.
    progress_log: tuple[Reading, ...] = ()
    #: Where an approval policy's quorum stands ("1 of 2 approvals: @bob · waiting for …"), if one gathers.
    quorum: str | None = None
    #: The reason the last person who approved or rejected gave, when they gave one.
    decision_reason: str | None = None

    def expected_end(self) -> Estimate:
        """When the copy should end, from its recent pace, as of the last check."""
        return estimate_end(self.progress_log, self.last_check_at or self.created_at)

    @property
    def can_retry(self) -> bool:
        """Only a task that ended in `error` can be relaunched (resetTaskState)."""
        return self.state == State.FAILED and self.task_state == "error" and self.task_id is not None

    @property
    def launch(self) -> Operation:
        """The call an approval of this request makes (the copy, or another operation's route)."""
        return LAUNCHES.get(self.route, MIGRATION)

    @property
    def in_doubt(self) -> Operation | None:
        return operation_in_doubt(self.state, self.launch)

    @property
    def calling(self) -> Operation | None:
        """The operation whose call is under way, when the request is in a calling state."""
        return operation_calling(self.state, self.launch)

    @property
    def episode(self) -> str:
        """Which mutating call the request is about now (the moment it went out): carried by the
        buttons that settle a call in doubt, so that a button of an earlier call does nothing."""
        return f"{self.called_at:%Y%m%d%H%M%S%f}" if self.called_at else "0"


#: OVHcloud's clock and ours may differ a little: a task stamped this much before the decision still counts.
CLOCK_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail: about a request, or (``request_id`` None) about a plan (its
    ``plan_id``) or about pcc-bot itself (a pause, a resume: neither id)."""

    request_id: int | None
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: str = ""
    query_id: str | None = None
    plan_id: int | None = None


#: An action a notice offers next to its text: an operation's button (its ``Behaviour.button``:
#: "retry", "remove_copy"), or ``DECIDE``.
NoticeButton = str
#: A call in doubt: Adopt task N for each candidate, and Close: not started.
DECIDE: NoticeButton = "decide"


class NoticeKind(StrEnum):
    CARD = "card"  # the request's (or the plan's) card, posted in its channel
    THREAD = "thread"  # a reply in the card's thread
    INCIDENT = "incident"  # a message in the incident room
    DIRECT = "direct"  # a direct message to one person (its channel is their user id)


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
    """A queued notice about a request, or (``request_id`` None) about a plan as a whole."""

    id: int
    request_id: int | None
    kind: NoticeKind
    key: str
    channel: str
    text: str
    attempts: int = 0
    button: NoticeButton | None = None
    plan_id: int | None = None

    @property
    def about(self) -> str:
        return f"request #{self.request_id}" if self.request_id is not None else f"plan #{self.plan_id}"


class RequestFields(TypedDict, total=False):
    """The fields of a request a change sets, by name: mypy checks every key and value; the repository
    maps them to columns (and no use case writes a column name)."""

    decided_by: str
    decided_at: datetime
    called_at: datetime
    in_doubt_since: datetime | None
    candidates: tuple[Task, ...]
    task_id: int
    task_state: str
    progress: int | None
    query_id: str | None
    last_error: str | None
    retries: int
    progress_log: tuple[Reading, ...]
    removal_task_id: int | None
    copy_filer_id: int
    progress_changed_at: datetime
    last_check_at: datetime
    transferred: str
    card_updated_at: datetime
    quorum: str | None
    decision_reason: str | None


def task_read(task: Task) -> RequestFields:
    """What a reading of the request's task records of it."""
    return {"task_state": task.state, "progress": task.progress}
