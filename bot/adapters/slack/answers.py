"""Answers that call nothing: the help, built from the command grammar, and what `/pcc pause` and
`/pcc resume` say."""

from __future__ import annotations

from bot.adapters.slack.grammar import USAGE
from bot.adapters.slack.kit import Message, text_message
from bot.domain import Pause
from bot.support.i18n import DEFAULT_LOCALE, _, _n
from bot.support.mrkdwn import esc

HELP_LINES = (
    (
        "filers",
        _("list the datastores of a PCC (or of one datacenter); `csv` sends the whole list as a file"),
        "/pcc filers pcc-192-0-2-15 1337",
    ),
    (
        "migrate",
        _("ask for a copy (no argument: a form); an approver clicks Approve"),
        "/pcc migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515",
    ),
    (
        "plan",
        _(
            "copy a whole datacenter (or the datastores listed) under one decision: one card, one Approve "
            "plan, then one POST per datastore; its card is the board"
        ),
        "/pcc plan pcc-192-0-2-15 1337 pcc-192-0-2-50 1515",
    ),
    ("list", _("recent requests and their state"), "/pcc list"),
    ("status", _("one request with its history"), "/pcc status 3"),
    (
        "cancel",
        _(
            "withdraw a request before it is approved (requester or approver), or close a call in doubt "
            "as not started once you checked at OVHcloud that nothing started (approver); `cancel plan N` "
            "withdraws a pending plan and frees its datastores"
        ),
        "/pcc cancel 3",
    ),
    (
        "audit",
        _("approvers: the audit trail of the last days (default 30) as a CSV, sent to you privately"),
        "/pcc audit 7",
    ),
    (
        "policy",
        _("the approval rules in force (PCC_POLICY), and the one a request falls under with its approvals"),
        "/pcc policy 3",
    ),
    (
        "repositories",
        _(
            "the Veeam backup repositories of a PCC: replication zone, sync status, last successful "
            "replication"
        ),
        "/pcc repositories pcc-192-0-2-50",
    ),
    (
        "restore",
        _(
            "restore every VM of a backup repository into a datacenter (Veeam batch restore); an approver "
            "clicks Approve"
        ),
        "/pcc restore pcc-192-0-2-50 1515 veeam-rbx-01",
    ),
    (
        "pause",
        _(
            "approvers: stop every mutating call to OVHcloud, in every replica (approvals, plans' "
            "dispatches, Retry, Remove copy, restores), until `/pcc resume`; the boards say who and why"
        ),
        "/pcc pause IAM rights being checked",
    ),
    (
        "resume",
        _(
            "approvers: end the pause; dispatches it stopped, or held after repeated refusals, go on by "
            "themselves"
        ),
        "/pcc resume",
    ),
    ("help", _("this text"), "/pcc help"),
)


def help_text(source_zone: str, locale: str = DEFAULT_LOCALE) -> str:
    """The help, built from the command grammar, in ``locale``; placeholders like <service> escaped for
    mrkdwn."""
    title = _(
        "*pcc-bot*: copy datastores (filers) of a PCC in {zone} to a PCC elsewhere, with approval.",
        zone=esc(source_zone),
    )
    lines = [title.render(locale)]
    for sub, what, example in HELP_LINES:
        lines.append(f"• `/pcc {esc(USAGE[sub])}`: {what.render(locale)}")
        if example != "/pcc help":
            lines.append("   " + _("e.g. {example}", example=f"`{example}`").render(locale))
    return "\n".join(lines)


def help_message(source_zone: str = "sbg1a", locale: str = DEFAULT_LOCALE) -> Message:
    return text_message(help_text(source_zone, locale))


def paused_message(pause: Pause, locale: str = DEFAULT_LOCALE) -> Message:
    """`/pcc pause`: what it stops, and how it ends."""
    said = _(
        ":double_vertical_bar: pcc-bot is {paused}. No mutating call leaves any replica until an approver "
        "runs `/pcc resume`; reading, filing, reject and cancel still work.",
        paused=pause.words(markup=True),
    )
    return text_message(said.render(locale))


def resumed_message(ended: Pause | None, released: int, locale: str = DEFAULT_LOCALE) -> Message:
    """`/pcc resume`: the pause ended, and what goes on."""
    parts = []
    if ended is not None:
        parts.append(
            _(
                ":arrow_forward: pcc-bot resumed ({paused}); the dispatches it stopped go on now (on the "
                "other replicas at their next tick).",
                paused=ended.words(markup=True),
            )
        )
    if released:
        parts.append(
            _n(
                "{count} datastore held after repeated refusals is sent again.",
                "{count} datastores held after repeated refusals are sent again.",
                released,
            )
        )
    return text_message(" ".join(p.render(locale) for p in parts))
