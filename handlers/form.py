"""The `/pcc migrate` modal: lists filled from the live inventory, rules checked on submit."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot import blocks, ids
from bot.commands import parse_user
from bot.domain import Conflict, Field, MigrationSpec, PccBotError, RuleViolation
from bot.service import PccService

BLOCK_OF = {Field(name): block for name, block in ids.FORM_FIELDS.items()}
FIELD_OF = {block: field for field, block in BLOCK_OF.items()}


def chosen_values(view: dict[str, Any]) -> dict[Field, str]:
    """The options already picked in the form, by field."""
    values = (view.get("state") or {}).get("values") or {}
    picked: dict[Field, str] = {}
    for block, field in FIELD_OF.items():
        option = ((values.get(block) or {}).get(block) or {}).get("selected_option") or {}
        if isinstance(option.get("value"), str):
            picked[field] = option["value"]
    return picked


def spec_of(picked: dict[Field, str]) -> MigrationSpec:
    return MigrationSpec(
        source_service=picked[Field.SOURCE],
        source_datacenter_id=int(picked[Field.SOURCE_DATACENTER]),
        filer_id=int(picked[Field.FILER]),
        dest_service=picked[Field.DESTINATION],
        dest_datacenter_id=int(picked[Field.DESTINATION_DATACENTER]),
    )


def register(app: App, service: PccService) -> None:
    @app.options(re.compile("^(" + "|".join(ids.FORM_FIELDS.values()) + ")$"))
    def on_form_options(ack: Ack, body: dict[str, Any]) -> None:
        field = FIELD_OF[str(body.get("action_id"))]
        try:
            pairs = service.form_options(
                field, str(body.get("value") or ""), chosen_values(body.get("view") or {})
            )
        except PccBotError:
            pairs = []  # the list stays empty; submitting names the problem on the field
        ack(options=blocks.options(pairs))

    @app.view(ids.MIGRATE_FORM)
    def on_form_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        picked = chosen_values(view)
        missing = {BLOCK_OF[f]: "Pick one" for f in Field if f not in picked}
        if missing:
            ack(response_action="errors", errors=missing)
            return
        try:
            service.request_migration(
                spec_of(picked), requester=parse_user(body), channel=str(view.get("private_metadata") or "")
            )
        except RuleViolation as refused:
            ack(
                response_action="errors",
                errors={BLOCK_OF[f]: text[:150] for f, text in refused.by_field().items()},
            )
            return
        except Conflict as active:
            ack(response_action="errors", errors={BLOCK_OF[Field.FILER]: str(active)[:150]})
            return
        ack()
