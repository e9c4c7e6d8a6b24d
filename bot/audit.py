"""The audit trail as CSV: every request and decision (who, what, when, API call, task, query id, outcome).

Pure: builds text from domain objects. Cells that a spreadsheet would run as a formula are quoted.
"""

from __future__ import annotations

import csv
import io

from bot.domain import AuditEntry, MigrationRequest

COLUMNS = (
    "request_id",
    "at_utc",
    "actor",
    "action",
    "from_state",
    "to_state",
    "detail",
    "ovh_query_id",
    "source_pcc",
    "source_datacenter",
    "filer_id",
    "filer_name",
    "dest_pcc",
    "dest_datacenter",
    "api_call",
    "task_id",
    "outcome",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def audit_csv(rows: list[tuple[AuditEntry, MigrationRequest]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry, request in rows:
        spec = request.spec
        writer.writerow(
            [
                _cell(v)
                for v in (
                    request.id,
                    entry.at.isoformat(),
                    entry.actor,
                    entry.action,
                    entry.from_state,
                    entry.to_state,
                    entry.detail,
                    entry.query_id,
                    spec.source_service,
                    spec.source_datacenter_id,
                    spec.filer_id,
                    request.filer_name,
                    spec.dest_service,
                    spec.dest_datacenter_id,
                    request.api_call,
                    request.task_id,
                    request.state.value,
                )
            ]
        )
    return out.getvalue()
