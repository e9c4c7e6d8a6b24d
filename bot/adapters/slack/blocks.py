"""Block Kit builders: pure functions from domain objects to (fallback text, blocks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.adapters.slack import ids
from bot.adapters.slack.grammar import USAGE
from bot.domain import (
    COPY_FILER_CONSENT,
    AuditEntry,
    Filer,
    FilerListing,
    MigrationRequest,
    NoticeButton,
    State,
)
from bot.support.mrkdwn import esc
from bot.usecases import messages
from bot.usecases.ports import Board

Block = dict[str, Any]
Message = tuple[str, list[Block]]

# Slack refuses a section text over 3,000 characters and a message over 50 blocks.
_MAX_TEXT = 2900
_MAX_BLOCKS = 50

STATE_LABELS = {
    State.PENDING: ":hourglass_flowing_sand: waiting for approval",
    State.APPROVED: ":arrow_forward: approved, calling OVHcloud",
    State.REPLICATING: ":arrows_counterclockwise: replicating",
    State.DONE: ":white_check_mark: done",
    State.FAILED: ":x: failed",
    State.NEEDS_ATTENTION: ":warning: needs attention",
    State.REJECTED: ":no_entry: rejected",
    State.CANCELLED: ":heavy_multiplication_x: cancelled",
    State.EXPIRED: ":zzz: expired",
    State.REMOVING: ":wastebasket: copy being removed",
    State.REMOVED: ":white_check_mark: done, copy removed",
    State.RELAUNCHING: ":arrows_counterclockwise: relaunch approved, calling OVHcloud",
    State.RELAUNCH_IN_DOUBT: ":warning: relaunch in doubt",
    State.REMOVAL_IN_DOUBT: ":warning: copy removal in doubt",
}

#: What each in-doubt state means, for the card, `/pcc status` and the README.
IN_DOUBT_MEANING = {
    State.NEEDS_ATTENTION: "the migration call got no clear answer: it may have started",
    State.RELAUNCH_IN_DOUBT: "resetTaskState got no clear answer: the task may have been relaunched",
    State.REMOVAL_IN_DOUBT: "the removal call got no clear answer: the copy may be being removed",
}

HELP_LINES = (
    (
        "filers",
        "list the datastores of a PCC (or of one datacenter); `csv` sends the whole list as a file",
        "/pcc filers pcc-192-0-2-15 1337",
    ),
    (
        "migrate",
        "ask for a copy (no argument: a form); an approver clicks Approve",
        "/pcc migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515",
    ),
    ("list", "recent requests and their state", "/pcc list"),
    ("status", "one request with its history", "/pcc status 3"),
    (
        "cancel",
        "withdraw a request before it is approved (requester or approver), or close a call in doubt "
        "as not started once you checked at OVHcloud that nothing started (approver)",
        "/pcc cancel 3",
    ),
    (
        "audit",
        "approvers: the audit trail of the last days (default 30) as a CSV, sent to you privately",
        "/pcc audit 7",
    ),
    ("help", "this text", "/pcc help"),
)


def help_text(source_zone: str) -> str:
    """The help, built from the command grammar; placeholders like <service> escaped for mrkdwn."""
    zone = esc(source_zone)
    lines = [f"*pcc-bot*: copy datastores (filers) of a PCC in {zone} to a PCC elsewhere, with approval."]
    for sub, what, example in HELP_LINES:
        lines.append(f"• `/pcc {esc(USAGE[sub])}`: {what}")
        if example != "/pcc help":
            lines.append(f"   e.g. `{example}`")
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


def text_message(text: str) -> Message:
    return text, [section(text)]


def help_message(source_zone: str = "sbg1a") -> Message:
    return text_message(help_text(source_zone))


def _duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _bytes(value: str) -> str:
    if not value.isdigit():
        return value
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if amount < 1024 or unit == "TB":
            return f"{amount:,.0f} {unit}" if unit == "B" else f"{amount:,.1f} {unit}"
        amount /= 1024
    return value


def _gb(value: float | None) -> str:
    return "?" if value is None else f"{value:,.0f} GB"


#: Datastores shown per page of `/pcc filers` (the rest: next page, or the whole list as a CSV file).
FILERS_PER_PAGE = 100


def _filer_line(f: Filer) -> str:
    vms = "?" if f.vm_total is None else str(f.vm_total)
    scope = " · global" if f.is_global else ""
    return (
        f"• `{esc(f.name)}` id {f.filer_id}: {esc(f.size)}, used {_gb(f.space_used_gb)}, "
        f"free {_gb(f.space_free_gb)}, {vms} VM(s), {esc(f.state)}{scope}"
    )


def _packed(lines: list[str]) -> list[Block]:
    """Lines packed into as few sections as Slack's 3,000 characters allow, never cutting a line."""
    sections: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > _MAX_TEXT:
            sections.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        sections.append(section("\n".join(chunk)))
    return sections


def filers_message(listing: FilerListing, page: int = 1, command: str = "") -> Message:
    """One page of a PCC's datastores; when there are more, says how many and how to see them (next
    page, or the whole list as a file). Never a silent cut."""
    pcc = listing.pcc
    title = (
        f"*{esc(pcc.service_name)}* ({esc(pcc.zone)}) {esc(pcc.description)}: {listing.count} datastore(s)"
    )
    groups = [
        (
            f"*Datacenter {d.datacenter.datacenter_id}* {esc(d.datacenter.name)} "
            f"{esc(d.datacenter.commercial_name)}".rstrip(),
            d.filers,
        )
        for d in listing.datacenters
    ]
    unread = listing.unread
    if listing.global_filers:
        groups.append(("*Global datastores* (mounted on every datacenter)", listing.global_filers))
    first, last = (page - 1) * FILERS_PER_PAGE, page * FILERS_PER_PAGE
    shown: list[str] = []
    index = 0
    for heading, filers in groups:
        on_page = [f for i, f in enumerate(filers, start=index) if first <= i < last]
        if on_page or (not filers and page == 1):
            shown += [heading, *([_filer_line(f) for f in on_page] or ["_no datastore_"])]
        index += len(filers)
    if unread:
        shown.append(
            f"_{unread} more datastore(s) known by id, still being read within OVHcloud's call budget: "
            "this message fills in by itself._"
        )
    blocks: list[Block] = [section(title), *_packed(shown or ["_nothing on this page_"])]
    if index > FILERS_PER_PAGE or page > 1:
        end = min(last, index)
        more = f"Datastores {first + 1} to {end} of {index}." if first < index else f"No page {page}."
        if end < index:
            more += f" Next: `/pcc {command} page {page + 1}`."
        more += f" The whole list as a CSV file, sent to you: `/pcc {command} csv`."
        blocks.append(context(more))
    return title, blocks[:_MAX_BLOCKS]


def _card_fields(request: MigrationRequest) -> str:
    spec = request.spec
    vms = "?" if request.vm_total is None else request.vm_total
    source_zone, dest_zone = esc(request.source_zone), esc(request.dest_zone)
    return (
        f"*Requested by* <@{request.requester}> at {_when(request.created_at)}\n"
        f"*Source* {spec.source_service} · datacenter {spec.source_datacenter_id} · {source_zone}\n"
        f"*Filer* `{esc(request.filer_name)}` (id {spec.filer_id}) · {esc(request.filer_size)} · "
        f"{vms} VM(s)\n"
        f"*Destination* {spec.dest_service} · datacenter {spec.dest_datacenter_id} · {dest_zone}\n"
        f"*Approval will call* `{request.api_call}`"
    )


def _progress(request: MigrationRequest) -> str:
    parts = [STATE_LABELS[request.state]]
    if request.decided_by:
        verb = {State.REJECTED: "rejected", State.CANCELLED: "cancelled"}.get(request.state, "approved")
        parts.append(f"{verb} by <@{request.decided_by}> at {_when(request.decided_at)}")
    if request.task_id is not None:
        parts.append(f"OVHcloud task {request.task_id}")
    if request.task_state and request.state == State.REPLICATING:
        pct = "" if request.progress is None else f" {request.progress}%"
        parts.append(f"task {messages.task_meaning(request.task_state)}{pct}")
        if request.transferred:
            parts.append(f"{esc(_bytes(request.transferred))} copied")
        if request.decided_at and request.last_check_at:
            parts.append(f"running {_duration(request.last_check_at - request.decided_at)}")
            parts.append(f"last check {request.last_check_at:%H:%M} UTC")
    if request.state == State.DONE and request.decided_at and request.updated_at:
        parts.append(f"took {_duration(request.updated_at - request.decided_at)}")
    if request.state == State.PENDING:
        parts.append(f"expires {_when(request.expires_at)}")
    if request.last_error and (request.state == State.FAILED or request.in_doubt is not None):
        parts.append(esc(request.last_error))
    return " · ".join(parts)


def _confirm_text(request: MigrationRequest) -> str:
    """The confirm dialog (Slack caps it at 300 characters): what the click does and accepts."""
    text = f"This calls `{request.api_call}` once; replication takes hours."
    if request.uses_copy_filer:
        text += " Your click is recorded as the acceptance of the conditions quoted on the card."
    return text[:300]


def _one_button(request: MigrationRequest, action_id: str, label: str, question: str, confirm: str) -> Block:
    """An actions block with one confirmed button carrying the request id."""
    button = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": str(request.id),
        "confirm": {
            "title": {"type": "plain_text", "text": question},
            "text": {"type": "mrkdwn", "text": confirm[:300]},
            "confirm": {"type": "plain_text", "text": label},
            "deny": {"type": "plain_text", "text": "Back"},
        },
    }
    return {"type": "actions", "block_id": f"{action_id}-{request.id}", "elements": [button]}


def notice_blocks(text: str, button: NoticeButton, request: MigrationRequest) -> list[Block]:
    """A notice with the action(s) it offers (the same as on the card)."""
    if button == NoticeButton.DECIDE:
        return [section(text), *_decision_blocks(request, confirmed=False)]
    action_id, label = {
        NoticeButton.RETRY: (ids.RETRY, "Retry"),
        NoticeButton.REMOVE_COPY: (ids.REMOVE_COPY, "Remove copy"),
    }[button]
    element = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": str(request.id),
    }
    return [
        section(text),
        {"type": "actions", "block_id": f"{action_id}-notice-{request.id}", "elements": [element]},
    ]


def _button(action_id: str, label: str, value: str, confirm: tuple[str, str] | None) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label[:75]},
        "value": value,
    }
    if confirm is not None:
        element["confirm"] = {
            "title": {"type": "plain_text", "text": confirm[0][:100]},
            "text": {"type": "mrkdwn", "text": confirm[1][:300]},
            "confirm": {"type": "plain_text", "text": label[:30]},
            "deny": {"type": "plain_text", "text": "Back"},
        }
    return element


def _decision_blocks(request: MigrationRequest, *, confirmed: bool = True) -> list[Block]:
    """A call in doubt: one Adopt button per candidate task (not for a relaunch: its task is known),
    and Close: not started. Each button is its own block (an action id once per block)."""
    blocks: list[Block] = []
    operation = request.in_doubt
    if operation is None:
        return blocks
    if operation.name != "relaunch":
        for task in request.candidates:
            confirm = (
                f"Adopt task {task.task_id}?",
                f"pcc-bot then tracks task {task.task_id} as this request's. Only once checked at OVHcloud.",
            )
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"adopt-{request.id}-{task.task_id}",
                    "elements": [
                        _button(
                            ids.ADOPT,
                            f"Adopt task {task.task_id}",
                            f"{request.id}:{task.task_id}",
                            confirm if confirmed else None,
                        )
                    ],
                }
            )
    close = (
        "Close: not started?",
        f"Only if you checked at OVHcloud that the {operation.name} call started nothing. No call is made.",
    )
    blocks.append(
        {
            "type": "actions",
            "block_id": f"close-{request.id}",
            "elements": [
                _button(
                    ids.CLOSE_NOT_STARTED, "Close: not started", str(request.id), close if confirmed else None
                )
            ],
        }
    )
    return blocks


def _retry_button(request: MigrationRequest) -> Block:
    confirm = (
        f"This calls resetTaskState on OVHcloud task {request.task_id} once; the copy resumes and is "
        "tracked again."
    )
    return _one_button(request, ids.RETRY, "Retry", "Relaunch the task?", confirm)


def _buttons(request: MigrationRequest) -> Block:
    value = str(request.id)
    return {
        "type": "actions",
        "block_id": f"decide-{request.id}",
        "elements": [
            {
                "type": "button",
                "action_id": ids.APPROVE,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": value,
                "confirm": {
                    "title": {"type": "plain_text", "text": "Start the copy?"},
                    "text": {
                        "type": "mrkdwn",
                        "text": _confirm_text(request),
                    },
                    "confirm": {"type": "plain_text", "text": "Approve"},
                    "deny": {"type": "plain_text", "text": "Back"},
                },
            },
            {
                "type": "button",
                "action_id": ids.REJECT,
                "style": "danger",
                "text": {"type": "plain_text", "text": "Reject"},
                "value": value,
            },
        ],
    }


def card_message(request: MigrationRequest) -> Message:
    title = (
        f"Datastore copy request #{request.id}: {request.filer_name} → {request.spec.dest_service}"  # plain
    )
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        section(_card_fields(request)),
        context(_progress(request)),
    ]
    if request.uses_copy_filer and request.state == State.PENDING:
        blocks.append(
            section(
                f"*Approving accepts, for the customer, OVHcloud's conditions of copyFiler:*\n"
                f">{COPY_FILER_CONSENT}"
            )
        )
    if request.in_doubt is not None:
        meaning = IN_DOUBT_MEANING[request.state]
        found = "\n".join(f"• {messages.task_line(t)}" for t in request.candidates)
        listed = f"\n*Candidate tasks* (none is provably this request's):\n{found}" if found else ""
        blocks.append(section(f"*In doubt*: {meaning}. pcc-bot is {messages.checking(request)}.{listed}"))
        blocks.extend(_decision_blocks(request))
    elif request.state == State.PENDING:
        blocks.append(_buttons(request))
    elif request.can_retry:
        blocks.append(_retry_button(request))
    elif request.state == State.DONE:
        blocks.append(
            _one_button(
                request,
                ids.REMOVE_COPY,
                "Remove copy",
                "Remove the read-only copy?",
                "Only once every VM is cloned to a writable datastore: this removes the "
                "restore datastore from the destination datacenter.",
            )
        )
    return f"{esc(title)} ({request.state})", blocks  # the fallback text is read as mrkdwn


def board_message(board: Board) -> Message:
    """The incident-room board: edited in place as migrations move."""
    title = f"Datastore copies: {len(board.active)} active, {board.done} done, {board.failed} failed"
    body = "\n".join(_request_line(r) for r in board.active) or "_No migration in flight._"
    return title, [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        section(body),
        context("Completions and failures are posted as separate messages in this channel."),
    ]


def _request_line(r: MigrationRequest) -> str:
    progress = f" {r.progress}%" if r.state == State.REPLICATING and r.progress is not None else ""
    return (
        f"#{r.id} {STATE_LABELS[r.state]}{progress} · `{esc(r.filer_name)}` {r.spec.source_service} → "
        f"{r.spec.dest_service}/{r.spec.dest_datacenter_id} · <@{r.requester}>"
    )


#: Rows per App Home section; the rest are counted, never silently dropped.
HOME_ROWS = 15


def home_view(
    mine: Sequence[MigrationRequest],
    to_approve: Sequence[MigrationRequest],
    active: Sequence[MigrationRequest],
) -> dict[str, Any]:
    """The App Home tab: my requests, requests waiting for my approval, active migrations."""
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "pcc-bot"}}]
    for title, requests, empty in (
        ("Waiting for your approval", to_approve, "Nothing waits for you."),
        ("Active migrations", active, "No migration in flight."),
        ("Your requests", mine, "You have filed no request. Try `/pcc migrate` (see `/pcc help`)."),
    ):
        lines = [_request_line(r) for r in requests[:HOME_ROWS]] or [f"_{empty}_"]
        if len(requests) > HOME_ROWS:
            lines.append(f"_…and {len(requests) - HOME_ROWS} more: `/pcc list`, `/pcc status <id>`_")
        blocks += [{"type": "divider"}, section(f"*{title}*\n" + "\n".join(lines))]
    blocks.append(
        context(
            "Approve or reject from each request's card in its channel; `/pcc status <id>` shows its history."
        )
    )
    return {"type": "home", "blocks": blocks}


FORM_LABELS = {
    "source": "Source PCC (in the source zone)",
    "source_datacenter": "Source datacenter",
    "filer": "Datastore (filer) to copy",
    "destination": "Destination PCC",
    "destination_datacenter": "Destination datacenter",
}


def migrate_form(channel: str) -> dict[str, Any]:
    """The `/pcc migrate` modal: five lists filled from the live inventory as the person types."""
    inputs = [
        {
            "type": "input",
            "block_id": ids.FORM_FIELDS[name],
            "label": {"type": "plain_text", "text": label},
            "element": {
                "type": "external_select",
                "action_id": ids.FORM_FIELDS[name],
                "min_query_length": 0,
                "placeholder": {"type": "plain_text", "text": "Type to search"},
            },
        }
        for name, label in FORM_LABELS.items()
    ]
    return {
        "type": "modal",
        "callback_id": ids.MIGRATE_FORM,
        "private_metadata": channel,  # where the request's card goes
        "title": {"type": "plain_text", "text": "Copy a datastore"},
        "submit": {"type": "plain_text", "text": "File request"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            context(
                "Pick the datastore to copy out of the source zone and where it goes. The rules are "
                "checked when you file; an approver then approves from the card."
            ),
            *inputs,
        ],
    }


def form_note(text: str) -> dict[str, Any]:
    """The migrate form once submitted and still being checked, or with the outcome."""
    return {
        "type": "modal",
        "callback_id": ids.MIGRATE_FORM,
        "title": {"type": "plain_text", "text": "Copy a datastore"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text)],
    }


def options(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": label}, "value": value} for value, label in pairs]


def list_message(requests: list[MigrationRequest], total: int | None = None) -> Message:
    if not requests:
        return text_message("No requests yet. File one with `/pcc migrate …` (see `/pcc help`).")
    total = len(requests) if total is None else total
    lines = [
        f"#{r.id} {STATE_LABELS[r.state]} · `{esc(r.filer_name)}` {r.spec.source_service} → "
        f"{r.spec.dest_service}/{r.spec.dest_datacenter_id} · <@{r.requester}> · {_when(r.created_at)}"
        for r in requests
    ]
    more = (
        f"\n_The {len(requests)} most recent of {total} requests; `/pcc status <id>` shows any of them._"
        if total > len(requests)
        else ""
    )
    return text_message("*Recent requests*\n" + "\n".join(lines) + more)


def status_message(request: MigrationRequest, history: list[AuditEntry]) -> Message:
    text, blocks = card_message(request)
    blocks = [b for b in blocks if b["type"] != "actions"]
    lines = []
    for entry in history:
        move = f" ({entry.from_state or 'new'} → {entry.to_state})" if entry.to_state else ""
        actor = entry.actor if entry.actor == "pcc-bot" else f"<@{entry.actor}>"
        qid = f" · OVH query id {esc(entry.query_id)}" if entry.query_id else ""
        detail = f": {esc(entry.detail)}" if entry.detail else ""
        lines.append(f"{_when(entry.at)} · {actor} · {esc(entry.action)}{move}{detail}{qid}")
    blocks.append(section("*History*\n" + "\n".join(lines[-30:])))
    return text, blocks
