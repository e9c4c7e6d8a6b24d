"""Sample requests for the tests and the benchmarks (a request as filed, without the rule checks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import MigrationSpec, RequestDraft


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
