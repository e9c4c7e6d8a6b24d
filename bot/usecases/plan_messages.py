"""Texts of a plan's notices: its summary in the incident room, its whole list in its card's thread
(mrkdwn, no I/O)."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from bot.domain import Conflict, NotAllowed, PccBotError, Plan, PlanState, PlanTally
from bot.support.datetoken import date_token
from bot.support.i18n import Param, Text, _, stored
from bot.support.mrkdwn import esc


def plan_started(plan: Plan, user: str, count: int) -> str:
    """In the plan's thread and the incident room when it is approved (stored untranslated)."""
    return stored(
        _(
            ":rocket: {who} approved plan #{id}: {count} datastore(s) of datacenter {source_dc} of "
            "{source} to {dest}/{dest_dc}. Progress on its board; failures and the summary here.",
            who=f"<@{user}>",
            id=plan.id,
            count=count,
            source_dc=plan.source_datacenter_id,
            source=plan.source_service,
            dest=plan.dest_service,
            dest_dc=plan.dest_datacenter_id,
        )
    )


def plan_summary(plan: Plan, tally: PlanTally, took: timedelta) -> str:
    """The one message the incident room gets when every datastore of a plan has ended (stored
    untranslated: the outbox renders it in the channel's language)."""
    hours, minutes = divmod(int(took.total_seconds() // 60), 60)
    return stored(
        _(
            "{icon} Plan #{id} ended: {copied} copied, {failed} failed, {stopped} cancelled of {total} "
            "datastore(s) ({used} GB used at filing) from datacenter {source_dc} of {source} to "
            "{dest}/{dest_dc}, in {hours} h {minutes} min. The copies are mounted read-only as "
            "`restore-…` on every host of the destination datacenter.",
            icon=":white_check_mark:" if tally.failed == 0 else ":warning:",
            id=plan.id,
            copied=tally.copied,
            failed=tally.failed,
            stopped=tally.stopped,
            total=tally.total,
            used=f"{plan.used_gb:,.0f}",
            source_dc=plan.source_datacenter_id,
            source=plan.source_service,
            dest=plan.dest_service,
            dest_dc=plan.dest_datacenter_id,
            hours=hours,
            minutes=f"{minutes:02d}",
        )
    )


#: A reply of a plan's list stays under this many characters (Slack advises 4,000 a message text).
PLAN_LIST_REPLY = 3500
#: What a copyFiler plan's approval records in the audit trail (its card and confirm quote the conditions).
CONSENT = "accepted the copyFiler conditions quoted on the card, for each datastore"


def plan_list(plan: Plan) -> list[str]:
    """Every datastore of a plan as filed, and what was left out, in as many thread replies as it
    takes: the card shows what one Slack message holds and points here for the rest."""
    lines = [f"• `{esc(i.name)}` id {i.filer_id} · {esc(i.size)}" for i in plan.items]
    if plan.left_out:
        lines += [
            "*Left out*",
            *(f"• `{esc(x.name)}` id {x.filer_id}: {esc(x.reason)}" for x in plan.left_out),
        ]
    replies: list[list[str]] = [[]]
    for line in lines:
        if replies[-1] and len("\n".join([*replies[-1], line])) > PLAN_LIST_REPLY:
            replies.append([])
        replies[-1].append(line[:PLAN_LIST_REPLY])
    counts = {"id": plan.id, "items": len(plan.items), "left": len(plan.left_out)}
    parts = len(replies)
    heads = [
        _(
            "Every datastore of plan #{id} as filed ({items} to copy, {left} left out), part {n} of {parts}:",
            n=n,
            parts=parts,
            **counts,
        )
        if parts > 1
        else _("Every datastore of plan #{id} as filed ({items} to copy, {left} left out):", **counts)
        for n in range(1, parts + 1)
    ]
    return [
        stored(_("{head}\n{lines}", head=head, lines="\n".join(reply)))
        for head, reply in zip(heads, replies, strict=True)
    ]


# ------------------------------------------------------------ refusals (in the reader's language)

#: "plan #3 is approved", "plan #3 is already approved": whole sentences, so that each language agrees
#: its words with "plan" (French: masculine, where a request is feminine).
_IS = {
    PlanState.PENDING: _("plan #{id} is pending"),
    PlanState.APPROVED: _("plan #{id} is approved"),
    PlanState.ENDED: _("plan #{id} is ended"),
    PlanState.REJECTED: _("plan #{id} is rejected"),
    PlanState.CANCELLED: _("plan #{id} is cancelled"),
    PlanState.EXPIRED: _("plan #{id} is expired"),
}
_ALREADY = {
    PlanState.PENDING: _("plan #{id} is still pending"),
    PlanState.APPROVED: _("plan #{id} is already approved"),
    PlanState.ENDED: _("plan #{id} is already ended"),
    PlanState.REJECTED: _("plan #{id} is already rejected"),
    PlanState.CANCELLED: _("plan #{id} is already cancelled"),
    PlanState.EXPIRED: _("plan #{id} is already expired"),
}


def _about(sentences: dict[PlanState, Text], plan: Plan) -> Text:
    return Text(sentences[plan.state].msgid, {"id": plan.id})


E = TypeVar("E", bound=PccBotError)


def _refused(kind: type[E], said: Text, marked: Text | None = None) -> E:
    return kind(str(said), text=said, markup=marked)


def nothing_to_copy(plan_dc: int, source: str, why: str) -> Conflict:
    said = _(
        "nothing to copy from datacenter {dc} of {source}: {reasons}",
        dc=plan_dc,
        source=source,
        reasons=why,
    )
    return _refused(Conflict, said)


def expired(plan: Plan) -> Conflict:
    return _refused(Conflict, _("plan #{id} expired at {at}", id=plan.id, at=date_token(plan.expires_at)))


def already(plan: Plan) -> Conflict:
    said = _about(_ALREADY, plan)
    if not plan.decided_by:
        return _refused(Conflict, said)
    plain = _("{said} by {who}", said=said, who=plan.decided_by)
    return _refused(Conflict, plain, _("{said} by {who}", said=said, who=f"<@{plan.decided_by}>"))


def not_withdrawable_by(plan_id: int) -> NotAllowed:
    return _refused(NotAllowed, _("only the requester or an approver can withdraw plan #{id}", id=plan_id))


def not_pending(plan: Plan) -> Conflict:
    said = _("{said}: only a pending plan can be withdrawn", said=_about(_IS, plan))
    return _refused(Conflict, said)


def not_dispatching(plan: Plan) -> Conflict:
    said = _("{said}: there is nothing being dispatched to cancel", said=_about(_IS, plan))
    return _refused(Conflict, said)


def nothing_left(plan_id: int) -> Conflict:
    said = _("plan #{id}: nothing left to cancel, every datastore's call was already sent", id=plan_id)
    return _refused(Conflict, said)


def _quoted(reason: str) -> str:
    return f"\n> {reason}" if reason else ""


def decided_dm(plan: Plan, user: str, outcome: PlanState, reason: str) -> str:
    """The plan's requester told their plan was approved or rejected (with the reason)."""
    said: dict[str, Param] = {
        "id": plan.id,
        "count": len(plan.items),
        "who": f"<@{user}>",
        "quoted": _quoted(reason),
    }
    if outcome is PlanState.REJECTED:
        return stored(_("Your plan #{id} ({count} datastore(s)) was rejected by {who}.{quoted}", **said))
    return stored(_("Your plan #{id} ({count} datastore(s)) was approved by {who}.{quoted}", **said))


def reason_told(plan: Plan, user: str, outcome: PlanState, reason: str) -> str:
    """A decision's reason, in the plan's thread."""
    said: dict[str, Param] = {"who": f"<@{user}>", "id": plan.id, "quoted": _quoted(reason)}
    if outcome is PlanState.REJECTED:
        return stored(_("{who} rejected plan #{id}:{quoted}", **said))
    return stored(_("{who} approved plan #{id}:{quoted}", **said))


def approved_so_far(plan: Plan, user: str, rule: str, tally: Text, reason: str) -> str:
    """An approval counted that does not complete the plan's quorum, in its thread."""
    return stored(
        _(
            ":ballot_box_with_check: {who} approved plan #{id} (rule {rule}): {tally}{quoted}",
            who=f"<@{user}>",
            id=plan.id,
            rule=rule,
            tally=tally,
            quoted=_quoted(reason),
        )
    )
