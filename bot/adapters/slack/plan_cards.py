"""A plan's card, which is its board once approved: what it copies and leaves out, then where every
datastore stands (what needs a person first), an overall bar, and its buttons. Pure builders."""

from __future__ import annotations

from bot.adapters.slack import ids
from bot.adapters.slack.cards import STATE_LABELS, confirm_of, progress_of
from bot.adapters.slack.kit import (
    Block,
    Message,
    actions,
    bar,
    button,
    context,
    fitted,
    header,
    section,
    when,
)
from bot.domain import (
    COPIED_STATES,
    COPY_FILER_CONSENT,
    IN_DOUBT_STATES,
    MigrationRequest,
    Plan,
    PlanState,
    PlanTally,
    State,
)
from bot.support.mrkdwn import esc
from bot.usecases.ports import PlanBoard

#: Retry buttons a board offers at once (one block each; Slack allows 50 blocks a message).
MAX_RETRIES_SHOWN = 10

PLAN_LABELS = {
    PlanState.PENDING: ":hourglass_flowing_sand: waiting for approval",
    PlanState.APPROVED: ":arrows_counterclockwise: approved: copying",
    PlanState.ENDED: ":checkered_flag: ended",
    PlanState.REJECTED: ":no_entry: rejected",
    PlanState.CANCELLED: ":heavy_multiplication_x: cancelled",
    PlanState.EXPIRED: ":zzz: expired",
}

#: The order of a board's lines: what needs a person first, then what moves, then what is over.
_ORDER = [
    State.FAILED,
    *sorted(IN_DOUBT_STATES),
    State.APPROVED,
    State.RELAUNCHING,
    State.REPLICATING,
    State.PENDING,
    *sorted(COPIED_STATES),
    State.CANCELLED,
    State.EXPIRED,
    State.REJECTED,
]


#: The states whose line says why (the refusal, the rule, the expiry, the hold).
_SAYS_WHY = frozenset({State.FAILED, State.PENDING, State.EXPIRED, State.CANCELLED})


def _rank(request: MigrationRequest) -> tuple[int, int]:
    return (_ORDER.index(request.state) if request.state in _ORDER else len(_ORDER), request.id)


def item_line(r: MigrationRequest) -> str:
    label = "queued: POST not sent yet" if r.state == State.PENDING else STATE_LABELS[r.state]
    moving = progress_of(r)
    error = f" · {esc(r.last_error)[:200]}" if r.state in _SAYS_WHY and r.last_error else ""
    return f"#{r.id} `{esc(r.filer_name)}` {label}{moving}{error}"


def _summary(plan: Plan) -> str:
    return (
        f"*Requested by* <@{plan.requester}> at {when(plan.created_at)}\n"
        f"*Source* {plan.source_service} · datacenter {plan.source_datacenter_id} · {esc(plan.source_zone)}\n"
        f"*Destination* {plan.dest_service} · datacenter {plan.dest_datacenter_id} · {esc(plan.dest_zone)}\n"
        f"*Copies* {len(plan.items)} datastore(s) · {plan.used_gb:,.0f} GB used · {plan.vm_total} VM(s) · "
        f"one `{esc(plan.route)}` call each · *left out* {len(plan.left_out)}"
    )


def _progress(board: PlanBoard) -> list[Block]:
    plan, tally = board.plan, PlanTally.of(list(board.items))
    parts = [PLAN_LABELS[plan.state]]
    if plan.decided_by:
        verb = {PlanState.REJECTED: "rejected", PlanState.CANCELLED: "cancelled"}.get(plan.state, "approved")
        parts.append(f"{verb} by <@{plan.decided_by}> at {when(plan.decided_at)}")
    if plan.state == PlanState.PENDING:
        parts.append(f"expires {when(plan.expires_at)}")
    blocks = [context(" · ".join(parts))]
    if board.paused:  # nothing is sent until an approver resumes: said first
        blocks.insert(0, section(f":double_vertical_bar: *{board.paused}*"))
    if board.items:
        share = sum((100 if r.state in COPIED_STATES else r.progress or 0) for r in board.items) / (
            100 * len(board.items)
        )
        counts = " · ".join(
            f"{STATE_LABELS[s].split(' ')[0]} {n} {('queued' if s == State.PENDING else s.value)}"
            for s, n in sorted(
                tally.by_state.items(), key=lambda kv: _ORDER.index(kv[0]) if kv[0] in _ORDER else 99
            )
        )
        ends = [r.expected_end().end for r in board.items if r.state == State.REPLICATING]
        last = max((e for e in ends if e is not None), default=None)
        when_done = (
            f" · the last copy ends ~{last:%H:%M} UTC"
            if last and len(ends) == sum(1 for e in ends if e)
            else ""
        )
        overall = f"`{bar(share)}` {share:.0%} · {tally.copied} of {tally.total} copied{when_done}"
        blocks += [context(overall), context(counts)]
    return blocks


def _groups(board: PlanBoard) -> list[tuple[str, list[str]]]:
    """The board's lines: every datastore (what needs a person first), then what was left out."""
    plan = board.plan
    if board.items:
        lines = [item_line(r) for r in sorted(board.items, key=_rank)]
    else:
        vms = ["?" if i.vm_total is None else str(i.vm_total) for i in plan.items]
        lines = [
            f"• `{esc(i.name)}` id {i.filer_id} · {esc(i.size)} · {n} VM(s)"
            for i, n in zip(plan.items, vms, strict=True)
        ]
    left = [f"• `{esc(x.name)}` id {x.filer_id}: {esc(x.reason)}" for x in plan.left_out]
    return [("*Datastores*", lines), ("*Left out*", left)]


def _more(hidden: int) -> str:
    return (
        f"_{hidden} more line(s) not shown: one Slack message holds no more. The counts above cover "
        "every datastore; the whole list as filed is in this card's thread._"
    )


def _buttons(board: PlanBoard) -> list[Block]:
    plan, value = board.plan, str(board.plan.id)
    if plan.state == PlanState.PENDING:
        consent = (
            " Your click is recorded as the acceptance of the conditions quoted on the card, for each."
            if plan.uses_copy_filer
            else ""
        )
        confirm = (
            "Copy the whole plan?",
            (
                f"This sends one `{esc(plan.route)}` call for each of the {len(plan.items)} datastore(s), "
                f"paced within the call budget; replication takes hours.{consent}"
            )[:300],
        )
        approve = button(ids.APPROVE_PLAN, "Approve plan", value, confirm=confirm, style="primary")
        reject = button(ids.REJECT_PLAN, "Reject", value, style="danger")
        return [actions(f"plan-{plan.id}", approve, reject)]
    blocks: list[Block] = []
    if plan.state == PlanState.APPROVED and any(r.state == State.PENDING for r in board.items):
        confirm = (
            "Cancel the rest?",
            "Datastores whose call is not sent yet are cancelled; the others go on.",
        )
        stop = button(ids.CANCEL_PLAN_REST, "Cancel the rest", value, confirm=confirm, style="danger")
        blocks.append(actions(f"plan-rest-{plan.id}", stop))
    for r in [r for r in board.items if r.can_retry][:MAX_RETRIES_SHOWN]:
        retry = button(ids.RETRY, f"Retry #{r.id}", str(r.id), confirm=confirm_of(ids.RETRY, r))
        blocks.append(actions(f"{ids.RETRY}-{r.id}", retry))
    return blocks


def plan_message(board: PlanBoard) -> Message:
    plan = board.plan
    title = f"{plan.title} ({len(plan.items)} datastores)"
    head = [header(title), section(_summary(plan)), *_progress(board)]
    if plan.uses_copy_filer and plan.state == PlanState.PENDING:  # as a single copyFiler request's card
        head.append(
            section(
                "*Approving accepts, for the customer, OVHcloud's conditions of copyFiler:*\n"
                f">{COPY_FILER_CONSENT}"
            )
        )
    blocks = fitted(head, _groups(board), _buttons(board), _more)
    return f"{esc(title)} ({plan.state})", blocks
