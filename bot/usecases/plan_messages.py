"""Texts of a plan's notices: its summary in the incident room, its whole list in its card's thread
(mrkdwn, no I/O)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import Plan, PlanTally
from bot.support.i18n import _, stored
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
