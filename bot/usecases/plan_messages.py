"""Texts of a plan's notices: its summary in the incident room, its whole list in its card's thread
(mrkdwn, no I/O)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import Plan, PlanTally
from bot.support.mrkdwn import esc


def plan_summary(plan: Plan, tally: PlanTally, took: timedelta) -> str:
    """The one message the incident room gets when every datastore of a plan has ended."""
    parts = [f"{tally.copied} copied", f"{tally.failed} failed"]
    if tally.stopped:
        parts.append(f"{tally.stopped} cancelled")
    hours, minutes = divmod(int(took.total_seconds() // 60), 60)
    icon = ":white_check_mark:" if tally.failed == 0 else ":warning:"
    return (
        f"{icon} Plan #{plan.id} ended: {', '.join(parts)} of {tally.total} datastore(s) "
        f"({plan.used_gb:,.0f} GB used at filing) from datacenter {plan.source_datacenter_id} of "
        f"{plan.source_service} to {plan.dest_service}/{plan.dest_datacenter_id}, in "
        f"{hours} h {minutes:02d} min. The copies are mounted read-only as `restore-…` on every host "
        "of the destination datacenter."
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
    head = f"Every datastore of plan #{plan.id} as filed ({len(plan.items)} to copy"
    head += f", {len(plan.left_out)} left out)"
    parts = len(replies)
    return [
        (f"{head}, part {n} of {parts}:\n" if parts > 1 else f"{head}:\n") + "\n".join(reply)
        for n, reply in enumerate(replies, start=1)
    ]
