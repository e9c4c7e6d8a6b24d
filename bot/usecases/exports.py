"""CSV files: the audit trail (who, what, when, API call, task, query id, outcome) and datastore lists.

Pure: builds text from domain objects. Cells that a spreadsheet would run as a formula are quoted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from bot.domain import AuditEntry, Filer, FilerListing, MigrationRequest, Plan

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
    "plan_id",
)
#: A formula starts a cell, or follows a separator some spreadsheet locale splits on (`;` where the
#: decimal mark is a comma), after any blanks: every Unicode white space (a no-break space too) and the
#: zero-width characters a spreadsheet may drop; the full-width signs count as well.
_FORMULA = re.compile(
    r"(^|[;,\t\r\n|])([\s\u180e\u200b-\u200d\u2060\ufeff]*)(?=[=+\-@\uff1d\uff0b\uff0d\uff20])"
)
#: A spreadsheet reads a CSV file as UTF-8 (not the system's code page: accents, `→`) when it starts
#: with a byte order mark. Dates are ISO 8601 with their offset; numbers are never localised here.
BOM = "\ufeff"
#: Control characters spreadsheets mishandle (NUL ends a cell in some readers), tab and newlines aside.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cell(value: object) -> str:
    """A cell no spreadsheet runs: control characters dropped, a quote before every formula start."""
    text = _CONTROL.sub("", "" if value is None else str(value))
    return _FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'", text)


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV text, every cell that a spreadsheet would run as a formula quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def audit_csv(rows: list[tuple[AuditEntry, MigrationRequest | Plan | None]]) -> str:
    """One row per audit line: a request's with its datastore, a plan's own (no request) with its pair,
    one about pcc-bot itself (a pause, a resume) with none."""
    lines: list[Sequence[object]] = [COLUMNS]
    for entry, about in rows:
        head = (entry.at.isoformat(), entry.actor, entry.action, entry.from_state, entry.to_state)
        said = (entry.detail, entry.query_id)
        if about is None:
            lines.append((None, *head, *said, *[None] * (len(COLUMNS) - 1 - len(head) - len(said))))
            continue
        if isinstance(about, Plan):
            where = (about.source_service, about.source_datacenter_id, None, None)
            to = (about.dest_service, about.dest_datacenter_id, about.route, None)
            lines.append((None, *head, *said, *where, *to, about.state.value, about.id))
            continue
        spec = about.spec
        at: tuple[object, ...] = (
            spec.source_service,
            spec.source_datacenter_id,
            spec.filer_id,
            about.filer_name,
        )
        dest: tuple[object, ...] = (spec.dest_service, spec.dest_datacenter_id, about.api_call, about.task_id)
        lines.append((about.id, *head, *said, *at, *dest, about.state.value, about.plan_id))
    return BOM + csv_text(lines)


def filers_csv(listing: FilerListing) -> str:
    """Every datastore of the listing, one row each (formula-looking cells quoted)."""
    rows: list[tuple[str, ...]] = [
        ("datacenter", "filer_id", "name", "size", "used_gb", "free_gb", "vms", "state", "global")
    ]
    for dc in listing.datacenters:
        rows += [_csv_row(str(dc.datacenter.datacenter_id), f) for f in dc.filers]
    rows += [_csv_row("", f) for f in listing.global_filers]
    return BOM + csv_text(rows)


def _csv_row(datacenter: str, f: Filer) -> tuple[str, ...]:
    def number(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    vms = "" if f.vm_total is None else str(f.vm_total)
    used, free = number(f.space_used_gb), number(f.space_free_gb)
    return (
        datacenter,
        str(f.filer_id),
        f.name,
        f.size,
        used,
        free,
        vms,
        f.state,
        "yes" if f.is_global else "",
    )
