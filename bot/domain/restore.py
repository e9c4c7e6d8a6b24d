"""The Veeam batch restore (guide of 29 March 2021): every VM of a backup repository restored into a
datacenter, with one POST. Its facts, its rules and its words, in one place; the use case is
`bot/usecases/restore.py`, the call `POST …/datacenter/{datacenterId}/backup/batchRestore`.

Pure: no Slack, OVHcloud or SQL here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from bot.domain.inventory import StartedTask, Task
from bot.domain.operations.base import Launch
from bot.domain.policy import PolicyOperation
from bot.domain.request import MigrationRequest, NoticeButton
from bot.domain.states import State
from bot.support.i18n import Param, Text, _
from bot.support.mrkdwn import esc

#: The route's last word, stored as the request's route (`states.LAUNCHES` maps it to RESTORE).
RESTORE_ROUTE = "batchRestore"

#: What the restored VMs are called (the guide): their name with this suffix.
RESTORED_SUFFIX = "BatchRestore"

#: The card's word on space: the API tells neither what a restore needs nor what it will write where.
SPACE_UNCHECKED = _(
    "*Space* cannot be checked before the call: the API tells neither the size of the restore nor the "
    "datastores it writes to. OVHcloud cancels the restore after the call if space runs short."
)


@dataclass(frozen=True)
class BackupRepository:
    """`dedicatedCloud.BackupRepository`: a Veeam repository and its off-site replication."""

    repository_id: int
    name: str
    replication: str  # dedicatedCloud.option.StateEnum
    replication_zone: str | None
    sync_status: str  # dedicatedCloud.backup.ReplicationSyncStatus
    last_replication: datetime | None  # lastSuccessfulReplicationDate

    @property
    def replicated(self) -> bool:
        """A replication that succeeded at least once: what a burned site restores from."""
        return self.last_replication is not None


@dataclass(frozen=True)
class BackupState:
    """`dedicatedCloud.Backup` of a datacenter: whether Veeam Managed Backup runs there."""

    state: str  # dedicatedCloud.BackupStateEnum
    offer: str | None
    replication_zone: str | None

    @property
    def enabled(self) -> bool:
        return self.state == "enabled"


@dataclass(frozen=True)
class RestoreSpec:
    """What `/pcc restore` names: where the VMs land, and the repository (of the same PCC unless
    ``repository_service`` says otherwise: whether another PCC's repository can be named is not
    confirmed, so the rules apply the copy's zone and certification checks when it differs)."""

    service: str
    datacenter_id: int
    repository_name: str
    backup_job_name: str | None = None
    repository_service: str | None = None

    @property
    def source_service(self) -> str:
        return self.repository_service or self.service


def restore_problems(
    spec: RestoreSpec, backup: BackupState | None, repository: BackupRepository
) -> list[Text]:
    """The rules checked before anyone can approve, each naming itself."""
    problems = []
    if backup is None or not backup.enabled:
        problems.append(
            _(
                "rule *backup enabled on the target*: Veeam Managed Backup is {state} on datacenter {dc} of "
                "{service}; a batch restore lands only where it is enabled",
                state=_("not subscribed") if backup is None else f"`{backup.state}`",
                dc=spec.datacenter_id,
                service=spec.service,
            )
        )
    if not repository.replicated:
        problems.append(
            _(
                "rule *replicated repository*: the replication of repository {name} never succeeded "
                "(replication {replication}, sync {sync}): there is no off-site copy to restore from",
                name=f"`{repository.name}`",
                replication=f"`{repository.replication}`",
                sync=f"`{repository.sync_status}`",
            )
        )
    return problems


def restore_body(repository_name: str, backup_job_name: str | None) -> dict[str, str]:
    """The POST's body: the repository by its name, and the job when one was named."""
    body = {"backupRepositoryName": repository_name}
    if backup_job_name:
        body["backupJobName"] = backup_job_name
    return body


def _where(request: MigrationRequest) -> Text:
    spec = request.spec
    origin = (
        _(" of {service}", service=spec.source_service) if spec.source_service != spec.dest_service else ""
    )
    job = _(", job {job}", job=f"`{esc(request.backup_job_name)}`") if request.backup_job_name else ""
    return _(
        "repository {name}{origin}{job} → {dest} datacenter {dc} ({zone})",
        name=f"*{esc(request.filer_name)}*",
        origin=origin,
        job=job,
        dest=spec.dest_service,
        dc=spec.dest_datacenter_id,
        zone=esc(request.dest_zone),
    )


class RestoreWords(Launch):
    """How the restore speaks: its card, its notices, each a ``Text`` rendered in its reader's language
    (its behaviour: ``bot/domain/operations/restore.py``; its tasks name no datastore)."""

    title = _("Veeam batch restore request")
    policy_name = PolicyOperation.RESTORE
    #: A restore leaves nothing to remove: no button after it is done.
    done_button: NoticeButton | None = None
    #: The card's words for the states whose copy's words would mislead.
    labels: ClassVar[dict[State, tuple[str, Text]]] = {
        State.APPROVED: (":arrow_forward:", _("approved, calling batchRestore")),
        State.REPLICATING: (":arrows_counterclockwise:", _("restoring")),
        State.NEEDS_ATTENTION: (":warning:", _("restore in doubt")),
    }
    in_doubt_meaning = _("the batchRestore call got no clear answer: the restore may have started")
    confirm_note = _("every VM of the repository comes back powered off, with the BatchRestore suffix")

    def checking(self, request: MigrationRequest, since: Param) -> Text:
        spec = request.spec
        return _(
            "checking the tasks of {dest} datacenter {dc} for a `batchRestore` task{since} (its tasks name "
            "no datastore)",
            dest=spec.dest_service,
            dc=spec.dest_datacenter_id,
            since=since,
        )

    def card_lines(self, request: MigrationRequest) -> Text:
        spec = request.spec
        job = esc(request.backup_job_name) if request.backup_job_name else _("every job of the repository")
        return _(
            "*Requested by* {who}\n"
            "*Repository* {name} (id {id}) of {source} · replicated to {zone}\n"
            "*Backup job* {job}\n"
            "*Target* {dest} · datacenter {dc} · {dest_zone}\n"
            "*Approval will call* {call}\n{space}",
            who=f"<@{request.requester}>",
            name=f"`{esc(request.filer_name)}`",
            id=spec.filer_id,
            source=spec.source_service,
            zone=esc(request.filer_size),
            job=job,
            dest=spec.dest_service,
            dc=spec.dest_datacenter_id,
            dest_zone=esc(request.dest_zone),
            call=f"`{request.api_call}`",
            space=SPACE_UNCHECKED,
        )

    def call(self, request: MigrationRequest) -> Text:
        return _("the call {call}", call=f"`{request.api_call}`")

    def task_filer(self, request: MigrationRequest) -> int | None:
        return None  # a task is the restore's by its name, datacenter and time

    def called(self, request: MigrationRequest, task: StartedTask, user: str) -> Text:
        query = _(" (OVH query id {query})", query=esc(task.query_id)) if task.query_id else ""
        return _(
            "Batch restore started for request #{id}: {where}. OVHcloud task {task}{query}. Progress is "
            "shown on the card; the end will be announced here.",
            id=request.id,
            where=_where(request),
            task=str(task.task_id),
            query=query,
        )

    after_refusal = _("Nothing was restored; file a new request once the cause is fixed.")

    def about(self, request: MigrationRequest) -> Text:
        """What OVHcloud support is told the task is about."""
        return _(
            "batch restore of repository {name} of {source}",
            name=esc(request.filer_name),
            source=request.spec.source_service,
        )

    def after_close(self, request: MigrationRequest) -> Text:
        return _("Repository {name} can be restored again.", name=f"`{esc(request.filer_name)}`")

    def completed(self, request: MigrationRequest) -> Text:
        return _(
            ":white_check_mark: Request #{id} done: {where}.\n"
            "The VMs are restored *powered off*, each named with the suffix {suffix}. Next: check each "
            "VM's network and disks in vSphere, power them on, then rename them and put them back under "
            "backup (the restored VMs are new VMs). (OVHcloud task {task})",
            id=request.id,
            where=_where(request),
            suffix=f"`{RESTORED_SUFFIX}`",
            task=str(request.task_id),
        )

    def failed(self, request: MigrationRequest, task: Task) -> Text:
        space = (
            _(
                " OVHcloud cancels a batch restore when the target's datastores lack space: free or add "
                "space in the datacenter, then file a new request."
            )
            if task.state == "canceled"
            else ""
        )
        return _(
            ":x: Request #{id} failed: {where}. OVHcloud task {task} ended {state}{detail}.{space} Give "
            "OVHcloud support the task id {task}.",
            id=request.id,
            where=_where(request),
            task=str(task.task_id),
            state=f"`{esc(task.state)}`",
            detail=f": {esc(task.description)}" if task.description else "",
            space=space,
        )
