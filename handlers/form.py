"""The `/pcc migrate` modal: lists served from memory (never waiting on OVHcloud), rules checked on
submit, and every refusal shown on its field, never as an HTTP error."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from concurrent.futures import Future, wait
from concurrent.futures import TimeoutError as WaitedTooLong
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.adapters.slack import forms, ids
from bot.adapters.slack.form_values import restore_from_fields, spec_from_fields
from bot.adapters.slack.forms import FormField, RestoreFormField
from bot.adapters.slack.grammar import parse_channel, parse_user
from bot.domain import Conflict, Field, MigrationRequest, PccBotError, RuleViolation, UsageError
from bot.support.i18n import DEFAULT_LOCALE, _
from bot.support.mrkdwn import esc_message
from handlers.commands import filed
from handlers.errors import user_of
from handlers.wiring import wiring

log = logging.getLogger(__name__)

#: How long the submit waits for the rule checks before answering "checking" (Slack allows 3 s).
SUBMIT_WAIT_SECONDS = 2.0


def chosen_values(view: dict[str, Any]) -> dict[Field, str]:
    """The options already picked in the form, by field."""
    values = (view.get("state") or {}).get("values") or {}
    picked: dict[Field, str] = {}
    for f in FormField:
        option = ((values.get(f.block) or {}).get(f.block) or {}).get("selected_option") or {}
        if isinstance(option.get("value"), str):
            picked[f.field] = option["value"]
    return picked


@dataclass(frozen=True)
class FormShape:
    """What differs between the forms: where each problem lands, how an outcome is told."""

    callback_id: str
    fields: type[FormField] | type[RestoreFormField]  # the form's fields, each request field's block
    conflict: Field  # where "already has an active request" lands
    other: Field  # where any other refusal lands
    command: str

    def block_of(self, field: Field) -> str:
        return self.fields.of(field).block

    @property
    def conflict_block(self) -> str:
        return self.block_of(self.conflict)

    @property
    def other_block(self) -> str:
        return self.block_of(self.other)


MIGRATE = FormShape(ids.MIGRATE_FORM, FormField, Field.FILER, Field.SOURCE, "migrate")
RESTORE = FormShape(ids.RESTORE_FORM, RestoreFormField, Field.FILER, Field.DESTINATION, "restore")


def refusal_errors(
    error: BaseException, shape: FormShape = MIGRATE, locale: str = DEFAULT_LOCALE
) -> dict[str, str]:
    """A refusal as Slack's `response_action: errors`, each text on the field it is about, in the
    person's ``locale`` when the error carries its words untranslated."""
    if isinstance(error, RuleViolation) and error.problems:
        return {shape.block_of(f): text[:150] for f, text in error.by_field(locale).items()}
    said = error.text.render(locale) if isinstance(error, PccBotError) and error.text else str(error)
    if isinstance(error, Conflict):
        return {shape.conflict_block: said[:150]}
    if isinstance(error, PccBotError):
        return {shape.other_block: said[:150]}
    error_id = uuid.uuid4().hex[:8]
    log.error("form submit failed (error id %s)", error_id, exc_info=error)
    unexpected = _("pcc-bot hit an unexpected error (error id {error_id}); try again", error_id=error_id)
    return {shape.other_block: unexpected.render(locale)}


def outcome_text(
    done: Future[MigrationRequest], shape: FormShape = MIGRATE, locale: str = DEFAULT_LOCALE
) -> str:
    """What the form says once a slow check finished, in the person's ``locale``."""
    error = done.exception()
    if error is None:
        request = done.result()
        return filed(request.id, request.channel).render(locale)
    refused = refusal_errors(error, shape, locale).values()
    return ":warning: " + "\n".join(esc_message(text) for text in refused)


def on_form_options(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Answered from memory at once (Bolt's thread, Slack's 3 s): a list still loading says so."""
    handed = wiring(context)
    service = handed.service
    asked = FormField.at(str(body.get("action_id")))
    if asked is None:
        ack(options=[])
        return
    field = asked.field
    user = str((body.get("user") or {}).get("id") or "")
    pairs = service.filing.form_options(
        field, str(body.get("value") or ""), chosen_values(body.get("view") or {}), user
    )
    ack(options=forms.options(pairs, handed.locale_known(user_of(body))))


def on_form_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The values go through the command's parsers; the rules are checked on the work pool for up to 2 s,
    then the form says it is checking and shows the outcome in place. Every refusal lands on a field."""
    _submitted(ack, body, view, client, context, MIGRATE)


def on_restore_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The restore form, submitted: as the migrate form's."""
    _submitted(ack, body, view, client, context, RESTORE)


def typed_values(view: dict[str, Any]) -> dict[Field, str]:
    """What was typed in the restore form, by the request field it stands for."""
    values = (view.get("state") or {}).get("values") or {}
    typed = {f.field: ((values.get(f.block) or {}).get(f.block) or {}).get("value") for f in RestoreFormField}
    return {field: value for field, value in typed.items() if isinstance(value, str)}


def _submitted(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    shape: FormShape,
) -> None:
    handed = wiring(context)
    service, work = handed.service, handed.commands
    locale = handed.locale_of(user_of(body))
    try:
        channel = parse_channel({"channel_id": view.get("private_metadata")})
        user = parse_user(body)
        if shape is RESTORE:
            spec = restore_from_fields(typed_values(view))
            filing = work.submit(
                contextvars.copy_context().run, service.restores.request_restore, spec, user, channel
            )
        else:
            migration = spec_from_fields(chosen_values(view))
            filing = work.submit(
                contextvars.copy_context().run, service.filing.request_migration, migration, user, channel
            )
    except RuleViolation as bad:
        ack(response_action="errors", errors=refusal_errors(bad, shape, locale))
        return
    except UsageError:
        lost = _(
            "This form lost the channel it was opened in: close it and type {command} again.",
            command=f"`/pcc {shape.command}`",
        ).render(locale)
        ack(response_action="errors", errors={shape.other_block: lost})
        return
    try:
        filing.result(timeout=SUBMIT_WAIT_SECONDS)
    except WaitedTooLong:
        ack(
            response_action="update",
            view=forms.form_note(
                _("Checking the rules with OVHcloud…").render(locale), shape.callback_id, locale
            ),
        )
        view_id = str(view.get("id") or "")
        work.submit(_tell_when_done, client, view_id, filing, shape, locale)
        return
    except Exception as error:  # noqa: BLE001 - every refusal goes back on a field, never as a 500
        ack(response_action="errors", errors=refusal_errors(error, shape, locale))
        return
    ack()


def _tell_when_done(
    client: WebClient,
    view_id: str,
    filing: Future[MigrationRequest],
    shape: FormShape = MIGRATE,
    locale: str = DEFAULT_LOCALE,
) -> None:
    """Once the checks are over, replace the "checking" form with the outcome."""
    wait([filing])
    text = outcome_text(filing, shape, locale)
    try:
        client.views_update(view_id=view_id, view=forms.form_note(text, shape.callback_id, locale))
    except SlackClientError as error:
        log.warning("the form could not be updated with its outcome (%s): %s", error, text)


def register(app: App) -> None:
    app.options(re.compile("^(" + "|".join(f.block for f in FormField) + ")$"))(on_form_options)
    app.view(ids.MIGRATE_FORM)(on_form_submitted)
    app.view(ids.RESTORE_FORM)(on_restore_submitted)
