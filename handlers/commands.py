"""The `/pcc` slash command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.adapters.slack import answers, cards, forms, ids, kit, listings
from bot.adapters.slack.grammar import (
    Audit,
    Cancel,
    FilePlan,
    Help,
    ListFilers,
    ListRepositories,
    ListRequests,
    Migrate,
    OpenMigrateForm,
    OpenRestoreForm,
    Restore,
    ShowPolicy,
    Status,
    WithdrawPlan,
    parse,
    parse_channel,
    parse_trigger,
    parse_user,
)
from bot.adapters.slack.policy_view import policy_message
from bot.adapters.slack.switches import PauseBot, ResumeBot
from bot.domain import PccBotError
from bot.support import waits
from bot.support.i18n import Text, _
from bot.usecases.service import PccService
from handlers.errors import user_of
from handlers.wiring import wiring


def on_pcc(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """`/pcc …`: acked at once (Slack waits 3 s at most), answered from the pool of its lane."""
    ack()
    handed, text = wiring(context), command.get("text") or ""
    handed.after_command(
        respond,
        user_of(command),
        lambda: answer(handed.service, command, respond, client, handed.locale_of),
        ovh=calls_ovh(text),
        channel=command.get("channel_id"),
    )


#: Commands answered without an OVHcloud call: they never queue behind the ones that make some (the
#: pause above all: the switch someone reaches for during a burst).
QUICK = (
    Help,
    ListRequests,
    Status,
    Audit,
    ShowPolicy,
    Cancel,
    OpenMigrateForm,
    OpenRestoreForm,
    PauseBot,
    ResumeBot,
)
#: About how many OVHcloud calls each command makes before its first answer (the "queued" estimate).
CALLS = {Migrate: 8, FilePlan: 8, Restore: 8, ListRepositories: 3, ListFilers: 5}


def calls_ovh(text: str) -> bool:
    """Whether ``/pcc text`` makes an OVHcloud call (a text that does not parse is refused at once)."""
    try:
        return not isinstance(parse(text), QUICK)
    except PccBotError:
        return False


def expected_calls(text: str) -> int:
    try:
        return CALLS.get(type(parse(text)), 1)
    except PccBotError:
        return 1


def said(text: Text, locale: str) -> kit.Message:
    return kit.text_message(text.render(locale))


def filed(request_id: int, channel: str) -> Text:
    """What the person who filed a request is told (the command's answer, the form's outcome)."""
    return _(
        "Request #{id} filed and posted in {channel}; an approver has to approve it.",
        id=request_id,
        channel=f"<#{channel}>",
    )


def register(app: App) -> None:
    app.command(ids.COMMAND)(on_pcc)


def answer(
    service: PccService,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    locale_of: Callable[[str | None], str],
) -> None:
    """Parse the command text, call one use case, render the answer (what only the person sees: in
    their locale)."""
    text = command.get("text") or ""
    user, channel = parse_user(command), parse_channel(command)

    def open_form(view: dict[str, Any]) -> None:
        client.views_open(trigger_id=parse_trigger(command), view=view)

    with waits.expecting(expected_calls(text)):
        _answer(service, parse(text), user, channel, locale_of(user), respond, open_form)


def _answer(
    service: PccService,
    asked: object,
    user: str,
    channel: str,
    locale: str,
    respond: Respond,
    open_form: Callable[[dict[str, Any]], None],
) -> None:
    match asked:
        case Help():
            text, body = answers.help_message(service.reading.source_zone, locale)
        case OpenMigrateForm():
            service.filing.warm_form(user)  # a reader only: its lists show every PCC and datastore
            open_form(forms.migrate_form(channel, locale))
            return
        case OpenRestoreForm():
            open_form(forms.restore_form(channel, locale))
            return
        case ListFilers(service=pcc, datacenter_id=dc, as_csv=True):
            count = service.reading.send_filers_csv(pcc, dc, user)
            text, body = said(_("{count} datastore(s) sent to you as a CSV file.", count=count), locale)
        case ListFilers(service=pcc, datacenter_id=dc, page=page):
            hint = f"filers {pcc}" + ("" if dc is None else f" {dc}")
            listing = service.reading.list_filers(pcc, dc, user)
            text, body = listings.filers_message(listing, page, hint, locale)
            respond(text=text, blocks=body, response_type="ephemeral")
            # Edited in place as details arrive: Slack takes five answers on a response_url, one may have
            # said "queued", one was the first answer: three updates left.
            for filled in service.reading.fill_filers(listing, updates=3):
                text, body = listings.filers_message(filled, page, hint, locale)
                respond(text=text, blocks=body, response_type="ephemeral", replace_original=True)
            return
        case Migrate(spec=spec):
            request = service.filing.request_migration(spec, requester=user, channel=channel)
            text, body = said(filed(request.id, channel), locale)
        case FilePlan() as asked:
            plan = service.plans.file_plan(
                asked.source_service,
                asked.source_datacenter_id,
                asked.dest_service,
                asked.dest_datacenter_id,
                asked.filer_ids,
                requester=user,
                channel=channel,
            )
            planned = _(
                "Plan #{id} filed and posted in {channel}: {count} datastore(s), {left} left out. An "
                "approver has to approve it.",
                id=plan.id,
                channel=f"<#{channel}>",
                count=len(plan.items),
                left=len(plan.left_out),
            )
            text, body = said(planned, locale)
        case ListRequests():
            requests, total = service.reading.recent(user)
            text, body = listings.list_message(requests, total, service.reading.recent_plans(user), locale)
        case Status(request_id=request_id):
            text, body = cards.status_message(*service.reading.status(request_id, user), locale)
        case Audit(days=days):
            lines = service.reading.export_audit(days, user)
            audited = _(
                "Audit of the last {days} day(s) ({lines} line(s)) sent to you in a direct message.",
                days=days,
                lines=lines,
            )
            text, body = said(audited, locale)
        case ListRepositories(service=pcc):
            text, body = listings.repositories_message(pcc, service.restores.repositories(pcc, user), locale)
        case Restore(spec=spec):
            request = service.restores.request_restore(spec, requester=user, channel=channel)
            restore = _(
                "Restore request #{id} filed and posted in {channel}; an approver has to approve it.",
                id=request.id,
                channel=f"<#{channel}>",
            )
            text, body = said(restore, locale)
        case PauseBot(reason=reason):
            text, body = answers.paused_message(service.pausing.pause(user, reason), locale)
        case ResumeBot():
            text, body = answers.resumed_message(*service.pausing.resume(user), locale)
        case ShowPolicy(request_id=request_id):
            text, body = policy_message(service.approvals.describe(user, request_id, locale))
        case Cancel(request_id=request_id):
            request = service.decisions.cancel(request_id, user)
            now = _(
                "Request #{id} is now {state}.", id=request.id, state=cards.state_words(request.state, locale)
            )
            text, body = said(now, locale)
        case WithdrawPlan(plan_id=plan_id):
            plan = service.plans.withdraw(plan_id, user)
            withdrawn = _("Plan #{id} is withdrawn: its datastores are free again.", id=plan.id)
            text, body = said(withdrawn, locale)
    respond(text=text, blocks=body, response_type="ephemeral")
