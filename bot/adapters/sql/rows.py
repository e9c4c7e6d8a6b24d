"""The one mapping between the domain's dataclasses and the database's rows: UTC ISO-8601 text for
moments, JSON for task lists, values for states."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.domain import (
    AuditEntry,
    LeftOut,
    MigrationApi,
    MigrationRequest,
    MigrationSpec,
    Notice,
    NoticeButton,
    NoticeKind,
    Plan,
    PlanDraft,
    PlanItem,
    PlanState,
    RequestDraft,
    State,
    Task,
)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def to_request(row: dict[str, Any]) -> MigrationRequest:
    created_at = parse(row["created_at"])
    expires_at = parse(row["expires_at"])
    assert created_at is not None and expires_at is not None
    return MigrationRequest(
        id=row["id"],
        spec=MigrationSpec(
            source_service=row["source_service"],
            source_datacenter_id=row["source_datacenter_id"],
            filer_id=row["filer_id"],
            dest_service=row["dest_service"],
            dest_datacenter_id=row["dest_datacenter_id"],
        ),
        requester=row["requester"],
        channel=row["channel"],
        state=State(row["state"]),
        created_at=created_at,
        expires_at=expires_at,
        filer_name=row["filer_name"],
        filer_size=row["filer_size"],
        vm_total=row["vm_total"],
        source_zone=row["source_zone"],
        dest_zone=row["dest_zone"],
        api_call=row["api_call"],
        decided_by=row["decided_by"],
        decided_at=parse(row["decided_at"]),
        task_id=row["task_id"],
        task_state=row["task_state"],
        progress=row["progress"],
        last_error=row["last_error"],
        query_id=row["query_id"],
        card_channel=row["card_channel"],
        card_ts=row["card_ts"],
        updated_at=parse(row["updated_at"]),
        last_check_at=parse(row["last_check_at"]),
        progress_changed_at=parse(row["progress_changed_at"]),
        card_updated_at=parse(row["card_updated_at"]),
        transferred=row["transferred"],
        retries=row["retries"] or 0,
        removal_task_id=row["removal_task_id"],
        route=row["route"] or MigrationApi.LINK_FILER.value,
        called_at=parse(row["called_at"]),
        in_doubt_since=parse(row["in_doubt_since"]),
        candidates=_tasks_from_json(row["candidates"]),
        copy_filer_id=row["copy_filer_id"],
        plan_id=row.get("plan_id"),
        progress_log=tuple(
            (datetime.fromisoformat(at), int(p)) for at, p in json.loads(row.get("progress_log") or "[]")
        ),
    )


def request_row(draft: RequestDraft) -> dict[str, Any]:
    """A new request's row, pending."""
    spec = draft.spec
    return {
        "source_service": spec.source_service,
        "source_datacenter_id": spec.source_datacenter_id,
        "filer_id": spec.filer_id,
        "dest_service": spec.dest_service,
        "dest_datacenter_id": spec.dest_datacenter_id,
        "requester": draft.requester,
        "channel": draft.channel,
        "state": State.PENDING.value,
        "created_at": iso(draft.created_at),
        "expires_at": iso(draft.expires_at),
        "updated_at": iso(draft.created_at),
        "filer_name": draft.filer_name,
        "filer_size": draft.filer_size,
        "vm_total": draft.vm_total,
        "source_zone": draft.source_zone,
        "dest_zone": draft.dest_zone,
        "api_call": draft.api_call,
        "route": draft.route,
    }


def plan_row(draft: PlanDraft) -> dict[str, Any]:
    return {
        "state": PlanState.PENDING.value,
        "source_service": draft.source_service,
        "source_datacenter_id": draft.source_datacenter_id,
        "dest_service": draft.dest_service,
        "dest_datacenter_id": draft.dest_datacenter_id,
        "requester": draft.requester,
        "channel": draft.channel,
        "created_at": iso(draft.created_at),
        "expires_at": iso(draft.expires_at),
        "updated_at": iso(draft.created_at),
        "source_zone": draft.source_zone,
        "dest_zone": draft.dest_zone,
        "route": draft.route,
        "items": json.dumps([asdict(i) for i in draft.items]),
        "left_out": left_out_json(draft.left_out),
    }


def left_out_json(left_out: Sequence[LeftOut]) -> str:
    return json.dumps([asdict(i) for i in left_out])


def to_plan(row: dict[str, Any]) -> Plan:
    created_at, expires_at = parse(row["created_at"]), parse(row["expires_at"])
    assert created_at is not None and expires_at is not None
    return Plan(
        id=row["id"],
        state=PlanState(row["state"]),
        source_service=row["source_service"],
        source_datacenter_id=row["source_datacenter_id"],
        dest_service=row["dest_service"],
        dest_datacenter_id=row["dest_datacenter_id"],
        requester=row["requester"],
        channel=row["channel"],
        created_at=created_at,
        expires_at=expires_at,
        updated_at=parse(row["updated_at"]),
        source_zone=row["source_zone"],
        dest_zone=row["dest_zone"],
        route=row["route"],
        items=tuple(PlanItem(**i) for i in json.loads(row["items"] or "[]")),
        left_out=tuple(LeftOut(**i) for i in json.loads(row["left_out"] or "[]")),
        decided_by=row["decided_by"],
        decided_at=parse(row["decided_at"]),
        card_channel=row["card_channel"],
        card_ts=row["card_ts"],
    )


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
    """A field value as stored: datetimes as UTC ISO-8601 text, task lists as JSON, states by value."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, tuple) and value and all(isinstance(t, Task) for t in value):
        return _tasks_to_json(value)
    if isinstance(value, tuple) and all(isinstance(r, tuple) for r in value):  # progress readings
        return json.dumps([[iso(at), p] for at, p in value]) if value else None
    if isinstance(value, State):
        return value.value
    return value


def to_entries(rows: list[dict[str, Any]]) -> list[AuditEntry]:
    return [
        AuditEntry(
            request_id=row["request_id"],
            at=datetime.fromisoformat(row["at"]),
            actor=row["actor"],
            action=row["action"],
            from_state=row["from_state"],
            to_state=row["to_state"],
            detail=row["detail"] or "",
            query_id=row["query_id"],
        )
        for row in rows
    ]


def to_notice(row: dict[str, Any]) -> Notice:
    return Notice(
        id=row["id"],
        request_id=row["request_id"],
        kind=NoticeKind(row["kind"]),
        key=row["key"],
        channel=row["channel"],
        text=row["text"],
        attempts=row["attempts"],
        button=NoticeButton(row["button"]) if row["button"] else None,
        plan_id=row.get("plan_id"),
    )
