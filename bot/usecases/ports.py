"""Small protocols between the service layer and the adapters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import (
    Certifications,
    CopyStatus,
    Datacenter,
    Filer,
    FilerListing,
    LeftOut,
    MigrationRequest,
    MigrationSpec,
    NoticeButton,
    NoticeDraft,
    Pcc,
    Plan,
    RequestDraft,
    RequestFields,
    StartedTask,
    Task,
)
from bot.domain.restore import BackupRepository, BackupState


class OvhGateway(Protocol):
    def get_pcc(self, service: str, *, fresh: bool = False) -> Pcc: ...

    def get_certifications(self, service: str, *, fresh: bool = False) -> Certifications: ...

    def list_pccs(self) -> list[Pcc]: ...

    def list_datacenters(self, service: str) -> list[Datacenter]: ...

    def get_datacenter(self, service: str, datacenter_id: int) -> Datacenter: ...

    def get_filer(self, service: str, datacenter_id: int, filer_id: int) -> Filer: ...

    def filer_listing(
        self, service: str, datacenter_id: int | None, *, now_only: bool = False
    ) -> FilerListing: ...

    def datacenter_filers(self, service: str, datacenter_id: int) -> list[Filer]:
        """The datacenter's own datastores (no global one): one listing."""
        ...

    # Mutating calls: sent once; an OvhApiError with ``ambiguous`` set means the outcome is unknown.
    def start_migration(self, spec: MigrationSpec, route: str) -> StartedTask: ...

    def mutate(
        self, call: str, params: Mapping[str, str | int], body: Mapping[str, object] | None
    ) -> StartedTask:
        """An operation's call (``Mutation``: its route's name, parameters and body)."""
        ...

    # Reads of what runs
    def get_task(self, service: str, task_id: int) -> Task: ...

    def tasks_of(self, service: str) -> list[Task] | None: ...

    def filers_now(self, service: str, datacenter_id: int) -> list[Filer]:
        """The datacenter's datastores, read now (not from the cache)."""
        ...

    def filer_exists(self, service: str, datacenter_id: int, filer_id: int) -> bool: ...

    def copy_status(self, spec: MigrationSpec) -> CopyStatus | None: ...

    def find_tasks(self, service: str, datacenter_id: int, since: datetime) -> list[Task]: ...

    def filer_tasks(self, service: str, datacenter_id: int, filer_id: int) -> list[Task]: ...

    def get_filer_task(self, service: str, datacenter_id: int, filer_id: int, task_id: int) -> Task: ...

    # The Veeam batch restore (bot/domain/restore.py)
    def backup_repositories(self, service: str) -> list[BackupRepository]: ...

    def datacenter_backup(self, service: str, datacenter_id: int) -> BackupState | None: ...

    def restore_call(
        self, service: str, datacenter_id: int, repository_name: str, backup_job_name: str | None
    ) -> str: ...

    def batch_restore(
        self, service: str, datacenter_id: int, repository_name: str, backup_job_name: str | None
    ) -> StartedTask: ...

    @property
    def migration_route(self) -> str: ...

    def migration_call(self, spec: MigrationSpec, route: str) -> str: ...

    def route_absent(self, route: str) -> bool:
        """True when OVHcloud's published API description no longer lists this migration route."""
        ...


@dataclass(frozen=True)
class Change:
    """One state change with the fields it sets, its audit line and the notices it queues."""

    actor: str
    action: str
    detail: str = ""
    query_id: str | None = None
    fields: RequestFields | None = None
    notices: Sequence[NoticeDraft] = ()


@dataclass(frozen=True)
class PlanChange:
    """One change of a plan: its audit line, the notices it queues and, for an approval, one request per
    datastore (``items``; one another request holds meanwhile is left out, with ``left_out``)."""

    actor: str
    action: str
    detail: str = ""
    notices: Sequence[NoticeDraft] = ()
    items: Sequence[RequestDraft] = ()
    left_out: Sequence[LeftOut] = ()


@dataclass(frozen=True)
class PlanBoard:
    """What a plan's card shows: the plan, and the request of each datastore once approved."""

    plan: Plan
    items: tuple[MigrationRequest, ...]
    now: datetime
    #: "paused by @x since 14:05 UTC: reason" (mrkdwn, in the channel's language) while pcc-bot is paused.
    paused: str = ""

    def digest(self) -> str:
        shown = [(r.id, r.state.value, r.progress, r.last_error) for r in self.items]
        return repr((self.plan.state, shown, self.paused))


@dataclass(frozen=True)
class Board:
    """What the incident-room board shows: every active migration, and how many ended which way."""

    active: tuple[MigrationRequest, ...]
    done: int
    failed: int
    paused: str = ""  # as on a plan's board

    def digest(self) -> str:
        shown = [(r.id, r.state.value, r.progress) for r in self.active]
        return repr((shown, self.done, self.failed, self.paused))


#: A button offered with a notice, for one request (read when the notice is sent).
Offer = tuple[NoticeButton, MigrationRequest]


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


class Notifier(Protocol):
    """Posts to the chat. Raises ``NoticeNotDelivered`` when the chat did not accept a message."""

    def post_card(self, request: MigrationRequest, paused: str = "") -> MessageRef:
        """``paused``: what the card says of the pause (PlanBoard.paused), empty when not paused."""
        ...

    def update_card(self, request: MigrationRequest, paused: str = "") -> None: ...

    def post_text(
        self, channel: str, text: str, thread_ts: str | None = None, offer: Offer | None = None
    ) -> MessageRef: ...

    def post_board(self, channel: str, board: Board) -> MessageRef: ...

    def upload_private(self, user: str, filename: str, content: str, comment: str) -> None: ...

    def update_board(self, ref: MessageRef, board: Board) -> None: ...

    def post_plan(self, board: PlanBoard) -> MessageRef: ...

    def update_plan(self, board: PlanBoard) -> None: ...


class People(Protocol):
    """Each person's language (their Slack locale), for what only they read (a direct message)."""

    def locale(self, user: str | None) -> str: ...


class Directory(Protocol):
    def group_members(self, group_id: str, *, fresh: bool = False) -> frozenset[str]:
        """A user group's members: cached briefly, or read now (``fresh``) for a decision."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
