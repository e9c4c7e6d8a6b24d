"""The `/pcc migrate` form: its fields (one table), its note once submitted, its options."""

from __future__ import annotations

from typing import Any

from bot.adapters.slack import ids
from bot.adapters.slack.kit import context, section

FORM_LABELS = {
    "source": "Source PCC (in the source zone)",
    "source_datacenter": "Source datacenter",
    "filer": "Datastore (filer) to copy",
    "destination": "Destination PCC",
    "destination_datacenter": "Destination datacenter",
}


def migrate_form(channel: str) -> dict[str, Any]:
    """The `/pcc migrate` modal: five lists filled from the live inventory as the person types."""
    inputs = [
        {
            "type": "input",
            "block_id": ids.FORM_FIELDS[name],
            "label": {"type": "plain_text", "text": label},
            "element": {
                "type": "external_select",
                "action_id": ids.FORM_FIELDS[name],
                "min_query_length": 0,
                "placeholder": {"type": "plain_text", "text": "Type to search"},
            },
        }
        for name, label in FORM_LABELS.items()
    ]
    return {
        "type": "modal",
        "callback_id": ids.MIGRATE_FORM,
        "private_metadata": channel,  # where the request's card goes
        "title": {"type": "plain_text", "text": "Copy a datastore"},
        "submit": {"type": "plain_text", "text": "File request"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            context(
                "Pick the datastore to copy out of the source zone and where it goes. The rules are "
                "checked when you file; an approver then approves from the card."
            ),
            *inputs,
        ],
    }


def form_note(text: str) -> dict[str, Any]:
    """The migrate form once submitted and still being checked, or with the outcome."""
    return {
        "type": "modal",
        "callback_id": ids.MIGRATE_FORM,
        "title": {"type": "plain_text", "text": "Copy a datastore"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text)],
    }


def options(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": label}, "value": value} for value, label in pairs]
