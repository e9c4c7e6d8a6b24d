"""Lists: a PCC's datastores (paged, never cut silently), recent requests, the App Home."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.slack.cards import request_line
from bot.adapters.slack.kit import (
    Block,
    Message,
    context,
    fitted,
    gb,
    packed,
    section,
    text_message,
    when,
)
from bot.adapters.slack.plan_cards import plan_label, plan_params
from bot.domain import Filer, FilerListing, MigrationRequest, Plan, PlanTally
from bot.domain.restore import BackupRepository
from bot.support.i18n import DEFAULT_LOCALE, _
from bot.support.mrkdwn import esc
from bot.support.version import version

#: Repositories a `/pcc repositories` answer lists (a section holds 3,000 characters).
REPOSITORIES_SHOWN = 15


def repositories_message(
    service: str, repositories: list[BackupRepository], locale: str = DEFAULT_LOCALE
) -> Message:
    """`/pcc repositories`: each repository with what a restore needs of it, in ``locale``."""
    said = [
        _("*Veeam backup repositories of {service}* ({count})", service=esc(service), count=len(repositories))
    ]
    for r in repositories[:REPOSITORIES_SHOWN]:
        said.append(
            _(
                "• {name} id {id}: replication {replication} to {zone}, sync {sync}, last successful "
                "replication {last}",
                name=f"`{esc(r.name)}`",
                id=r.repository_id,
                replication=f"`{esc(r.replication)}`",
                zone=esc(r.replication_zone) if r.replication_zone else _("none"),
                sync=f"`{esc(r.sync_status)}`",
                last=when(r.last_replication) if r.last_replication else _("never"),
            )
        )
    if len(repositories) > REPOSITORIES_SHOWN:
        said.append(_("…and {count} more (Slack's size limit)", count=len(repositories) - REPOSITORIES_SHOWN))
    if not repositories:
        said.append(_("_No repository: is Veeam Managed Backup enabled on this PCC?_"))
    return text_message("\n".join(t.render(locale) for t in said))


#: Datastores shown per page of `/pcc filers` (the rest: next page, or the whole list as a CSV file).
FILERS_PER_PAGE = 100


def _filer_line(f: Filer, locale: str) -> str:
    line = _(
        "• {name} id {id}: {size}, used {used}, free {free}, {vms} VM(s), {state}",
        name=f"`{esc(f.name)}`",
        id=f.filer_id,
        size=esc(f.size),
        used=gb(f.space_used_gb),
        free=gb(f.space_free_gb),
        vms="?" if f.vm_total is None else str(f.vm_total),
        state=esc(f.state),
    ).render(locale)
    return line + (" · " + _("global").render(locale) if f.is_global else "")


def filers_message(
    listing: FilerListing, page: int = 1, command: str = "", locale: str = DEFAULT_LOCALE
) -> Message:
    """One page of a PCC's datastores, in ``locale``; when there are more, says how many and how to see
    them (next page, or the whole list as a file). Never a silent cut."""
    pcc = listing.pcc
    title = f"*{esc(pcc.service_name)}* ({esc(pcc.zone)}) {esc(pcc.description)}: " + _(
        "{count} datastore(s)", count=listing.count
    ).render(locale)
    groups = [
        (
            "*"
            + _("Datacenter {id}", id=d.datacenter.datacenter_id).render(locale)
            + f"* {esc(d.datacenter.name)} {esc(d.datacenter.commercial_name)}".rstrip(),
            d.filers,
        )
        for d in listing.datacenters
    ]
    unread = listing.unread
    if listing.global_filers:
        heading = _("*Global datastores* (mounted on every datacenter)").render(locale)
        groups.append((heading, listing.global_filers))
    first, last = (page - 1) * FILERS_PER_PAGE, page * FILERS_PER_PAGE
    shown: list[tuple[str, list[str]]] = []
    index = 0
    for heading, filers in groups:
        on_page = [f for i, f in enumerate(filers, start=index) if first <= i < last]
        if on_page or (not filers and page == 1):
            none = "_" + _("no datastore").render(locale) + "_"
            shown.append((heading, [_filer_line(f, locale) for f in on_page] or [none]))
        index += len(filers)
    notes: list[Block] = []
    if unread:
        unread_said = _(
            "{count} more datastore(s) known by id, still being read within OVHcloud's call budget: this "
            "message fills in by itself.",
            count=unread,
        )
        notes.append(context(f"_{unread_said.render(locale)}_"))
    csv = f"`/pcc {command} csv`"
    if index > FILERS_PER_PAGE or page > 1:
        end = min(last, index)
        said = [
            _("Datastores {first} to {end} of {total}.", first=first + 1, end=end, total=index)
            if first < index
            else _("No page {page}.", page=page)
        ]
        if end < index:
            said.append(_("Next: {command}.", command=f"`/pcc {command} page {page + 1}`"))
        said.append(_("The whole list as a CSV file, sent to you: {command}.", command=csv))
        notes.append(context(" ".join(t.render(locale) for t in said)))

    def not_shown(hidden: int) -> str:
        said = _(
            "{count} more line(s) of this page not shown: one Slack message holds no more. The whole list "
            "as a CSV file, sent to you: {command}.",
            count=hidden,
            command=csv,
        )
        return f"_{said.render(locale)}_"

    body = shown or [("", ["_" + _("nothing on this page").render(locale) + "_"])]
    return title, fitted([section(title)], body, notes, not_shown)


def plan_line(plan: Plan, tally: PlanTally, locale: str = DEFAULT_LOCALE) -> str:
    counts = (
        _(
            "{copied} copied, {failed} failed, {stopped} cancelled",
            copied=tally.copied,
            failed=tally.failed,
            stopped=tally.stopped,
        ).render(locale)
        if tally.total
        else ""
    )
    line = _(
        "Plan #{id} {state} · datacenter {source_dc} of {source} → {dest}/{dest_dc} · {count} datastore(s)",
        state=plan_label(plan.state, locale),
        **plan_params(plan),
    ).render(locale)
    return f"{line}{' · ' + counts if counts else ''} · <@{plan.requester}>"


def list_message(
    requests: list[MigrationRequest],
    total: int | None = None,
    plans: Sequence[tuple[Plan, PlanTally]] = (),
    locale: str = DEFAULT_LOCALE,
) -> Message:
    plan_lines = [plan_line(*p, locale) for p in plans]
    recent_plans = "*" + _("Recent plans").render(locale) + "*"

    def more_lines(hidden: int) -> str:
        said = _(
            "{count} more line(s) not shown: one Slack message holds no more; `/pcc status <id>` shows any.",
            count=hidden,
        )
        return f"_{said.render(locale)}_"

    if not requests:
        empty = _("No requests yet. File one with `/pcc migrate …` (see `/pcc help`).").render(locale)
        text = "\n".join([recent_plans, *plan_lines, "", empty]) if plans else empty
        return text, fitted([], [(recent_plans, plan_lines)], [section(empty)], more_lines)
    total = len(requests) if total is None else total
    lines = [f"{request_line(r, locale)} · {when(r.created_at)}" for r in requests]
    more = (
        [
            _(
                "_The {shown} most recent of {total} requests; `/pcc status <id>` shows any of them._",
                shown=len(requests),
                total=total,
            ).render(locale)
        ]
        if total > len(requests)
        else []
    )
    recent = "*" + _("Recent requests").render(locale) + "*"
    groups = [(recent_plans, plan_lines), (recent, lines)]
    text = "\n".join([*([recent_plans, *plan_lines, ""] if plans else []), recent, *lines, *more])
    return text, fitted([], groups, [context(m) for m in more], more_lines)


#: Rows per App Home section; the rest are counted, never silently dropped.
HOME_ROWS = 15


def home_view(
    mine: Sequence[MigrationRequest],
    to_approve: Sequence[MigrationRequest],
    active: Sequence[MigrationRequest],
    plans: Sequence[tuple[Plan, PlanTally]] = (),
    locale: str = DEFAULT_LOCALE,
) -> dict[str, Any]:
    """The App Home tab, in its reader's ``locale``: plans under way, requests waiting for my approval,
    active migrations, mine."""
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "pcc-bot"}}]
    if plans:
        lines = [plan_line(*p, locale) for p in plans[:HOME_ROWS]]
        if len(plans) > HOME_ROWS:
            lines.append(_("_…and {count} more: `/pcc list`_", count=len(plans) - HOME_ROWS).render(locale))
        title = _("Plans pending or copying").render(locale)
        blocks += [{"type": "divider"}, *packed([f"*{title}*", *lines])]
    for title_text, requests, empty_text in (
        (_("Waiting for your approval"), to_approve, _("Nothing waits for you.")),
        (_("Active migrations"), active, _("No migration in flight.")),
        (
            _("Your requests"),
            mine,
            _("You have filed no request. Try `/pcc migrate` (see `/pcc help`)."),
        ),
    ):
        lines = [request_line(r, locale) for r in requests[:HOME_ROWS]] or [f"_{empty_text.render(locale)}_"]
        if len(requests) > HOME_ROWS:
            hidden = len(requests) - HOME_ROWS
            more = _("_…and {count} more: `/pcc list`, `/pcc status <id>`_", count=hidden)
            lines.append(more.render(locale))
        blocks += [{"type": "divider"}, *packed([f"*{title_text.render(locale)}*", *lines])]  # never clipped
    footer = _(
        "Approve or reject from each request's card in its channel; `/pcc status <id>` shows its history."
        " pcc-bot {version}.",
        version=version(),
    )
    blocks.append(context(footer.render(locale)))
    return {"type": "home", "blocks": blocks}
