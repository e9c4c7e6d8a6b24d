"""Sample requests for the tests and the benchmarks (a request as filed, without the rule checks)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.adapters.ovh.credentials import OvhCredentials
from bot.demo.simulator import DEMO_APPLICATION_KEY, DEMO_APPLICATION_SECRET, DEMO_CONSUMER_KEY
from bot.domain import MigrationSpec, RequestDraft
from bot.ops.config import Config


def sample_draft(
    filer_id: int = 1234,
    now: datetime | None = None,
    *,
    source: str = "pcc-192-0-2-15",
    dest: str = "pcc-192-0-2-50",
    datacenters: tuple[int, int] = (1337, 1515),
) -> RequestDraft:
    """A request for ``filer_id`` as it would be stored after filing."""
    filed = now or datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    return RequestDraft(
        spec=MigrationSpec(source, datacenters[0], filer_id, dest, datacenters[1]),
        requester="UALICE",
        channel="COPS",
        created_at=filed,
        expires_at=filed + timedelta(days=1),
        filer_name=f"ssd-{filer_id:06d}",
        filer_size="3 TB",
        vm_total=12,
        source_zone="sbg1a",
        dest_zone="rbx2a",
        api_call=f"POST /dedicatedCloud/{dest}/datacenter/{datacenters[1]}/linkFilerFromSbg",
        route="linkFilerFromSbg",
    )


def sample_restore(now: datetime | None = None, *, job: str | None = None) -> RequestDraft:
    """A Veeam batch restore of repository veeam-rbx-01 into pcc-192-0-2-50/1515, as filed."""
    call = (
        "POST /dedicatedCloud/pcc-192-0-2-50/datacenter/1515/backup/batchRestore "
        '{"backupRepositoryName": "veeam-rbx-01"}'
    )
    return replace(
        sample_draft(3101, now, source="pcc-192-0-2-50", datacenters=(1515, 1515)),
        filer_name="veeam-rbx-01",
        filer_size="gra",
        vm_total=None,
        source_zone="rbx2a",
        api_call=call,
        route="batchRestore",
        backup_job_name=job,
    )


def simulator_config(simulator_url: str, slack_api_url: str, db_path: str, **settings: Any) -> Config:
    """The configuration of a bot talking to the simulator (demo keys) and a local Slack stand-in."""
    return Config(
        slack_api_url=slack_api_url,
        ovh=OvhCredentials(
            endpoint=simulator_url,
            application_key=DEMO_APPLICATION_KEY,
            application_secret=DEMO_APPLICATION_SECRET,
            consumer_key=DEMO_CONSUMER_KEY,
        ),
        db_path=db_path,
        **settings,
    )
