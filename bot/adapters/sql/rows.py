"""The one mapping between the domain's dataclasses and the database's rows. A column is named like
its field and read back by the field's type: UTC ISO-8601 text for moments, values for states, JSON for
task lists, progress readings and a plan's datastores; a nested dataclass (a request's spec) spreads
its fields beside the others."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, fields, is_dataclass
from datetime import datetime
from enum import Enum
from types import UnionType
from typing import Any, TypeVar, cast, get_args, get_origin, get_type_hints

from bot.domain import (
    AuditEntry,
    LeftOut,
    MigrationApi,
    MigrationRequest,
    Notice,
    Plan,
    PlanDraft,
    PlanItem,
    PlanState,
    RequestDraft,
    State,
    Task,
)
from bot.domain.estimate import Reading

Record = TypeVar("Record")


def iso(moment: datetime) -> str:
    return moment.isoformat()


def parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def to_request(row: Mapping[str, Any]) -> MigrationRequest:
    # Requests filed before the route was stored used the first one.
    return _record(MigrationRequest, row, route=row["route"] or MigrationApi.LINK_FILER.value)


def to_plan(row: Mapping[str, Any]) -> Plan:
    return _record(Plan, row)


def to_notice(row: Mapping[str, Any]) -> Notice:
    return _record(Notice, row)


def to_entries(rows: list[dict[str, Any]]) -> list[AuditEntry]:
    return [_record(AuditEntry, row) for row in rows]


def request_row(draft: RequestDraft) -> dict[str, Any]:
    """A new request's row, pending."""
    return {**_columns(draft), "state": State.PENDING.value, "updated_at": iso(draft.created_at)}


def plan_row(draft: PlanDraft) -> dict[str, Any]:
    """A new plan's row, pending."""
    return {**_columns(draft), "state": PlanState.PENDING.value, "updated_at": iso(draft.created_at)}


def entry_row(entry: AuditEntry) -> dict[str, Any]:
    """An audit line's row."""
    return _columns(entry)


def left_out_json(left_out: Sequence[LeftOut]) -> str:
    return json.dumps([asdict(i) for i in left_out])


def _columns(record: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in fields(record):
        value = getattr(record, field.name)
        row.update(_columns(value) if is_dataclass(value) else {field.name: column(value)})
    return row


def _record(kind: type[Record], row: Mapping[str, Any], **given: Any) -> Record:
    """A dataclass from a row: each field from its column, read by its type. A NULL column leaves a
    field that has a default at it; a list field without one is empty (an empty list is NULL)."""
    values = dict(given)
    for field in _FIELDS.get(kind) or _FIELDS.setdefault(kind, _fields_of(kind)):
        if field.name in values:
            continue
        if field.nested is not None:  # its fields are columns of the same row
            values[field.name] = _record(field.nested, row)
        elif row[field.name] is not None:
            values[field.name] = field.read(row[field.name])
        elif not field.has_default:
            values[field.name] = field.null
    return kind(**values)


@dataclass(frozen=True)
class _Field:
    name: str
    read: Callable[[Any], Any]
    has_default: bool
    nested: type | None = None  # a dataclass whose fields are columns of the same row
    null: Any = None  # what a NULL column means (an empty list is stored as NULL)


_FIELDS: dict[type, tuple[_Field, ...]] = {}  # each kind's, worked out once
_READ_AS: dict[Any, Callable[[Any], Any]] = {
    datetime: datetime.fromisoformat,
    tuple[Task, ...]: lambda text: _tasks_from_json(text),
    tuple[Reading, ...]: lambda text: _readings(text),
    tuple[PlanItem, ...]: lambda text: tuple(PlanItem(**i) for i in json.loads(text)),
    tuple[LeftOut, ...]: lambda text: tuple(LeftOut(**i) for i in json.loads(text)),
}


def _fields_of(kind: type) -> tuple[_Field, ...]:
    """How each field of ``kind`` is read back, from its type."""
    hints = get_type_hints(kind)
    found = []
    for field in fields(kind):
        hint = hints[field.name]
        if isinstance(hint, UnionType):  # X | None
            (hint,) = (arg for arg in get_args(hint) if arg is not type(None))
        has_default = field.default is not MISSING or field.default_factory is not MISSING
        if is_dataclass(hint):
            found.append(_Field(field.name, _same, has_default, nested=cast(type, hint)))
        elif isinstance(hint, type) and issubclass(hint, Enum):
            found.append(_Field(field.name, hint, has_default))
        else:
            empty = () if get_origin(hint) is tuple else None
            found.append(_Field(field.name, _READ_AS.get(hint, _same), has_default, null=empty))
    return tuple(found)


def _readings(text: str) -> tuple[Reading, ...]:
    return tuple((datetime.fromisoformat(at), int(progress)) for at, progress in json.loads(text))


def _same(value: Any) -> Any:
    return value


def _tasks_to_json(tasks: Sequence[Task]) -> str:
    return json.dumps(
        [
            {
                "taskId": t.task_id,
                "name": t.name,
                "state": t.state,
                "progress": t.progress,
                "filerId": t.filer_id,
                "datacenterId": t.datacenter_id,
                "executedAt": iso(t.executed_at) if t.executed_at else None,
            }
            for t in tasks
        ]
    )


def _tasks_from_json(text: str | None) -> tuple[Task, ...]:
    if not text:
        return ()
    return tuple(
        Task(
            task_id=item["taskId"],
            name=item["name"],
            state=item["state"],
            progress=item["progress"],
            filer_id=item["filerId"],
            datacenter_id=item["datacenterId"],
            executed_at=parse(item["executedAt"]),
        )
        for item in json.loads(text)
    )


def column(value: object) -> object:
    """A field value as stored: moments as UTC ISO-8601 text, states by value, lists (tasks, a plan's
    datastores, progress readings) as JSON, an empty list as NULL."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return value.value
    if not isinstance(value, tuple):
        return value
    if not value:
        return None
    if isinstance(value[0], Task):
        return _tasks_to_json(value)
    if is_dataclass(value[0]):
        return json.dumps([asdict(item) for item in value])
    return json.dumps([[iso(at), progress] for at, progress in value])  # progress readings
