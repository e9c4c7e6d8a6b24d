"""A plan's card, which is its board once approved: what it copies and leaves out, then where every
datastore stands (what needs a person first), an overall bar, and its buttons. Pure builders."""

from __future__ import annotations

from bot.adapters.slack import ids
from bot.adapters.slack.cards import STATE_LABELS, confirm_of, progress_of, state_label, state_words
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
from bot.support.i18n import DEFAULT_LOCALE, Param, Text, _
from bot.support.mrkdwn import esc
from bot.usecases.ports import PlanBoard

#: Retry buttons a board offers at once (one block each; Slack allows 50 blocks a message).
MAX_RETRIES_SHOWN = 10

_PLAN_LABELS: dict[PlanState, tuple[str, Text]] = {
    PlanState.PENDING: (":hourglass_flowing_sand:", _("waiting for approval")),
    PlanState.APPROVED: (":arrows_counterclockwise:", _("approved: copying")),
    PlanState.ENDED: (":checkered_flag:", _("plan ended")),
    PlanState.REJECTED: (":no_entry:", _("plan rejected")),
    PlanState.CANCELLED: (":heavy_multiplication_x:", _("plan cancelled")),
    PlanState.EXPIRED: (":zzz:", _("plan expired")),
}


def plan_label(state: PlanState, locale: str = DEFAULT_LOCALE) -> str:
    emoji, words = _PLAN_LABELS[state]
    return f"{emoji} {words.render(locale)}"


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


def item_line(r: MigrationRequest, locale: str = DEFAULT_LOCALE) -> str:
    queued = _("queued: POST not sent yet").render(locale)
    label = queued if r.state == State.PENDING else state_label(r.state, locale)
    moving = progress_of(r, locale)
    error = f" · {esc(r.last_error)[:200]}" if r.state in _SAYS_WHY and r.last_error else ""
    return f"#{r.id} `{esc(r.filer_name)}` {label}{moving}{error}"


def _summary(plan: Plan, locale: str) -> str:
    return _(
        "*Requested by* {who} at {at}\n"
        "*Source* {source} · datacenter {source_dc} · {source_zone}\n"
        "*Destination* {dest} · datacenter {dest_dc} · {dest_zone}\n"
        "*Copies* {count} datastore(s) · {used} GB used · {vms} VM(s) · one {route} call each · "
        "*left out* {left}",
        who=f"<@{plan.requester}>",
        at=when(plan.created_at),
        source=plan.source_service,
        source_dc=plan.source_datacenter_id,
        source_zone=esc(plan.source_zone),
        dest=plan.dest_service,
        dest_dc=plan.dest_datacenter_id,
        dest_zone=esc(plan.dest_zone),
        count=len(plan.items),
        used=f"{plan.used_gb:,.0f}",
        vms=plan.vm_total,
        route=f"`{esc(plan.route)}`",
        left=len(plan.left_out),
    ).render(locale)


def _progress(board: PlanBoard, locale: str) -> list[Block]:
    plan, tally = board.plan, PlanTally.of(list(board.items))
    parts = [plan_label(plan.state, locale)]
    if plan.decided_by:
        parts.append(_decided(plan).render(locale))
    if plan.state == PlanState.PENDING:
        parts.append(_("expires {at}", at=when(plan.expires_at)).render(locale))
    blocks = [context(" · ".join(parts))]
    if board.paused:  # nothing is sent until an approver resumes: said first
        blocks.insert(0, section(f":double_vertical_bar: *{board.paused}*"))
    if board.items:
        share = sum((100 if r.state in COPIED_STATES else r.progress or 0) for r in board.items) / (
            100 * len(board.items)
        )
        queued = _("queued").render(locale)
        counts = " · ".join(
            f"{STATE_LABELS[s].split(' ')[0]} {n} {queued if s == State.PENDING else state_words(s, locale)}"
            for s, n in sorted(
                tally.by_state.items(), key=lambda kv: _ORDER.index(kv[0]) if kv[0] in _ORDER else 99
            )
        )
        ends = [r.expected_end().end for r in board.items if r.state == State.REPLICATING]
        last = max((e for e in ends if e is not None), default=None)
        copied = _("{copied} of {total} copied", copied=tally.copied, total=tally.total).render(locale)
        overall = f"`{bar(share)}` {share:.0%} · {copied}"
        if last and len(ends) == sum(1 for e in ends if e):
            overall += " · " + _("the last copy ends around {at}", at=when(last)).render(locale)
        blocks += [context(overall), context(counts)]
    return blocks


def _decided(plan: Plan) -> Text:
    who, at = f"<@{plan.decided_by}>", when(plan.decided_at)
    if plan.state == PlanState.REJECTED:
        return _("rejected by {who} at {at}", who=who, at=at)
    if plan.state == PlanState.CANCELLED:
        return _("cancelled by {who} at {at}", who=who, at=at)
    return _("approved by {who} at {at}", who=who, at=at)


def _groups(board: PlanBoard, locale: str) -> list[tuple[str, list[str]]]:
    """The board's lines: every datastore (what needs a person first), then what was left out."""
    plan = board.plan
    if board.items:
        lines = [item_line(r, locale) for r in sorted(board.items, key=_rank)]
    else:
        lines = [
            "• "
            + _(
                "{name} id {id} · {size} · {vms} VM(s)",
                name=f"`{esc(i.name)}`",
                id=i.filer_id,
                size=esc(i.size),
                vms="?" if i.vm_total is None else str(i.vm_total),
            ).render(locale)
            for i in plan.items
        ]
    left = [f"• `{esc(x.name)}` id {x.filer_id}: {esc(x.reason)}" for x in plan.left_out]
    return [(_("*Datastores*").render(locale), lines), (_("*Left out*").render(locale), left)]


def _more(hidden: int, locale: str) -> str:
    return _(
        "_{count} more line(s) not shown: one Slack message holds no more. The counts above cover every "
        "datastore; the whole list as filed is in this card's thread._",
        count=hidden,
    ).render(locale)


def _approve(plan: Plan, locale: str) -> Block:
    value = str(plan.id)
    said = _(
        "This sends one {route} call for each of the {count} datastore(s), paced within the call budget; "
        "replication takes hours.",
        route=f"`{esc(plan.route)}`",
        count=len(plan.items),
    ).render(locale)
    if plan.uses_copy_filer:
        consent = _(
            "Your click is recorded as the acceptance of the conditions quoted on the card, for each."
        )
        said += " " + consent.render(locale)
    confirm = (_("Copy the whole plan?").render(locale), said[:300])
    approve = button(
        ids.APPROVE_PLAN, _("Approve plan").render(locale), value, confirm=confirm, style="primary"
    )
    reject = button(ids.REJECT_PLAN, _("Reject").render(locale), value, style="danger")
    return actions(f"plan-{plan.id}", approve, reject)


def _buttons(board: PlanBoard, locale: str) -> list[Block]:
    plan, value = board.plan, str(board.plan.id)
    if plan.state == PlanState.PENDING:
        return [_approve(plan, locale)]
    blocks: list[Block] = []
    if plan.state == PlanState.APPROVED and any(r.state == State.PENDING for r in board.items):
        confirm = (
            _("Cancel the rest?").render(locale),
            _("Datastores whose call is not sent yet are cancelled; the others go on.").render(locale),
        )
        label = _("Cancel the rest").render(locale)
        stop = button(ids.CANCEL_PLAN_REST, label, value, confirm=confirm, style="danger")
        blocks.append(actions(f"plan-rest-{plan.id}", stop))
    for r in [r for r in board.items if r.can_retry][:MAX_RETRIES_SHOWN]:
        label = _("Retry #{id}", id=r.id).render(locale)
        retry = button(ids.RETRY, label, str(r.id), confirm=confirm_of(ids.RETRY, r, locale=locale))
        blocks.append(actions(f"{ids.RETRY}-{r.id}", retry))
    return blocks


def plan_params(plan: Plan) -> dict[str, Param]:
    """What a plan's one-line texts name: its number, from where to where, how many datastores."""
    return {
        "id": plan.id,
        "source_dc": plan.source_datacenter_id,
        "source": plan.source_service,
        "dest": plan.dest_service,
        "dest_dc": plan.dest_datacenter_id,
        "count": len(plan.items),
    }


def plan_title(plan: Plan, locale: str = DEFAULT_LOCALE) -> str:
    return _(
        "Plan #{id}: datacenter {source_dc} of {source} → {dest}/{dest_dc} ({count} datastores)",
        **plan_params(plan),
    ).render(locale)


def plan_message(board: PlanBoard, locale: str = DEFAULT_LOCALE) -> Message:
    plan = board.plan
    title = plan_title(plan, locale)
    head = [header(title), section(_summary(plan, locale)), *_progress(board, locale)]
    if plan.uses_copy_filer and plan.state == PlanState.PENDING:  # as a single copyFiler request's card
        accepts = _("*Approving accepts, for the customer, OVHcloud's conditions of copyFiler:*")
        head.append(section(f"{accepts.render(locale)}\n>{COPY_FILER_CONSENT}"))
    blocks = fitted(head, _groups(board, locale), _buttons(board, locale), lambda n: _more(n, locale))
    return f"{esc(title)} ({plan.state})", blocks
