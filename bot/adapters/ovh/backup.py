"""The Veeam batch restore's calls (repositories, a datacenter's backup state, the batchRestore POST),
mapped to the domain's dataclasses: a part of the gateway, every path from the route table."""

from __future__ import annotations

from typing import Any

from bot.adapters.ovh import routes
from bot.adapters.ovh.client import when
from bot.adapters.ovh.transport import OvhTransport
from bot.domain import OvhNotFound, StartedTask
from bot.domain.restore import BackupRepository, BackupState, restore_body


def to_repository(body: Any, repository_id: int) -> BackupRepository:
    zone = body.get("replicationZone")
    return BackupRepository(
        repository_id=int(body.get("repositoryId", repository_id)),
        name=str(body.get("repositoryName") or ""),
        replication=str(body.get("replication") or "unknown"),
        replication_zone=str(zone) if zone else None,
        sync_status=str(body.get("syncStatus") or "unknown"),
        last_replication=when(body.get("lastSuccessfulReplicationDate")),
    )


class BackupCalls:
    """The restore's questions and its one call, over the gateway's transport."""

    _api: OvhTransport

    def backup_repositories(self, service: str) -> list[BackupRepository]:
        """Every Veeam repository of the PCC, read now (their replication moves)."""
        what = (f"listing backup repositories of {service}", "backup repository")
        try:
            bodies = self._api.read_now(
                routes.BACKUP_REPOSITORIES,
                routes.BACKUP_REPOSITORY,
                "repositoryId",
                what,
                serviceName=service,
            )
        except OvhNotFound:
            return []  # no Veeam Managed Backup on this PCC (callers name an unknown PCC themselves)
        return [to_repository(body, 0) for body in bodies if isinstance(body, dict)]

    def datacenter_backup(self, service: str, datacenter_id: int) -> BackupState | None:
        """The datacenter's Veeam Managed Backup, read now; None when it was never subscribed."""
        path = routes.DATACENTER_BACKUP.path(serviceName=service, datacenterId=datacenter_id)
        try:
            body = self._api.fresh(path, f"reading the backup of datacenter {datacenter_id}")
        except OvhNotFound:
            return None
        body = body if isinstance(body, dict) else {}
        zone, offer = body.get("replicationZone"), body.get("backupOffer")
        return BackupState(
            state=str(body.get("state") or "unknown"),
            offer=str(offer) if offer else None,
            replication_zone=str(zone) if zone else None,
        )

    def restore_call(
        self, service: str, datacenter_id: int, repository_name: str, backup_job_name: str | None
    ) -> str:
        """The exact POST, as the card shows it."""
        path = routes.BATCH_RESTORE.path(serviceName=service, datacenterId=datacenter_id)
        body = ", ".join(f'"{k}": "{v}"' for k, v in restore_body(repository_name, backup_job_name).items())
        return f"POST {path} {{{body}}}"

    def batch_restore(
        self, service: str, datacenter_id: int, repository_name: str, backup_job_name: str | None
    ) -> StartedTask:
        """The batch restore: a mutating call, sent once."""
        path = routes.BATCH_RESTORE.path(serviceName=service, datacenterId=datacenter_id)
        answer, query_id = self._api.mutate(path, restore_body(repository_name, backup_job_name))
        return StartedTask(task_id=int(answer["taskId"]), query_id=query_id)
