"""The `/pcc migrate` and `/pcc restore` forms: their fields (one table each), their note once
submitted, their options; in the person's language (``locale``)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from bot.adapters.slack import ids
from bot.adapters.slack.kit import context, section
from bot.domain import Field
from bot.support.i18n import DEFAULT_LOCALE, Text, _


class FormField(Enum):
    """The form's fields, the one place they are written: the request field each one fills, its block
    id (also its action id) and its label."""

    SOURCE = (Field.SOURCE, "src_pcc", _("Source PCC (in the source zone)"))
    SOURCE_DATACENTER = (Field.SOURCE_DATACENTER, "src_dc", _("Source datacenter"))
    FILER = (Field.FILER, "filer", _("Datastore (filer) to copy"))
    DESTINATION = (Field.DESTINATION, "dst_pcc", _("Destination PCC"))
    DESTINATION_DATACENTER = (Field.DESTINATION_DATACENTER, "dst_dc", _("Destination datacenter"))

    def __init__(self, field: Field, block: str, label: Text) -> None:
        self.field = field
        self.block = block
        self.label = label

    @classmethod
    def of(cls, field: Field) -> FormField:
        return next(f for f in cls if f.field == field)

    @classmethod
    def at(cls, block: str) -> FormField | None:
        return next((f for f in cls if f.block == block), None)


def migrate_form(channel: str, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """The `/pcc migrate` modal: five lists filled from the live inventory as the person types."""
    inputs = [
        {
            "type": "input",
            "block_id": f.block,
            "label": {"type": "plain_text", "text": f.label.render(locale)},
            "element": {
                "type": "external_select",
                "action_id": f.block,
                "min_query_length": 0,
                "placeholder": {"type": "plain_text", "text": _("Type to search").render(locale)},
            },
        }
        for f in FormField
    ]
    intro = _(
        "Pick the datastore to copy out of the source zone and where it goes. The rules are "
        "checked when you file; an approver then approves from the card."
    )
    return _form(ids.MIGRATE_FORM, channel, intro, inputs, locale)


class RestoreFormField(Enum):
    """The restore form's fields: the request field a problem about it lands on, its block id (also its
    action id), its label, whether it may stay empty."""

    SERVICE = (Field.DESTINATION, "rs_pcc", _("PCC the VMs are restored into"), False)
    DATACENTER = (Field.DESTINATION_DATACENTER, "rs_dc", _("Datacenter id (backup enabled)"), False)
    REPOSITORY = (Field.FILER, "rs_repo", _("Backup repository name (or pcc/name)"), False)
    JOB = (Field.SOURCE_DATACENTER, "rs_job", _("Backup job name (empty: every job)"), True)

    def __init__(self, field: Field, block: str, label: Text, optional: bool) -> None:
        self.field = field
        self.block = block
        self.label = label
        self.optional = optional

    @classmethod
    def of(cls, field: Field) -> RestoreFormField:
        return next((f for f in cls if f.field == field), cls.SERVICE)


def restore_form(channel: str, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """The `/pcc restore` modal: what the command takes, typed (`/pcc repositories` lists the names)."""
    inputs = [
        {
            "type": "input",
            "block_id": f.block,
            "optional": f.optional,
            "label": {"type": "plain_text", "text": f.label.render(locale)},
            "element": {"type": "plain_text_input", "action_id": f.block, "max_length": 100},
        }
        for f in RestoreFormField
    ]
    intro = _(
        "Every VM of the repository is restored into the datacenter, powered off. "
        "`/pcc repositories <service>` lists the repositories. The rules are checked when you "
        "file; an approver then approves from the card."
    )
    return _form(ids.RESTORE_FORM, channel, intro, inputs, locale)


def _form(
    callback_id: str, channel: str, intro: Text, inputs: list[dict[str, Any]], locale: str
) -> dict[str, Any]:
    """A request form: its title (the form's name), the submit and cancel buttons, its intro, its inputs."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": channel,  # where the request's card goes
        "title": {"type": "plain_text", "text": _title(callback_id).render(locale)},
        "submit": {"type": "plain_text", "text": _("File request").render(locale)},
        "close": {"type": "plain_text", "text": _("Cancel").render(locale)},
        "blocks": [context(intro.render(locale)), *inputs],
    }


def _title(callback_id: str) -> Text:
    return _("Veeam batch restore") if callback_id == ids.RESTORE_FORM else _("Copy a datastore")


def form_note(text: str, callback_id: str = ids.MIGRATE_FORM, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """A form once submitted and still being checked, or with the outcome, in ``locale``."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": _title(callback_id).render(locale)},
        "close": {"type": "plain_text", "text": _("Close").render(locale)},
        "blocks": [section(text)],
    }


def options(pairs: list[tuple[str, str | Text]], locale: str = DEFAULT_LOCALE) -> list[dict[str, Any]]:
    """A list's options; a label of pcc-bot's own (a list loading) in the person's ``locale``; 75
    characters at most, as Slack wants."""
    return [
        {
            "text": {
                "type": "plain_text",
                "text": (label.render(locale) if isinstance(label, Text) else label)[:75],
            },
            "value": value,
        }
        for value, label in pairs
    ]
