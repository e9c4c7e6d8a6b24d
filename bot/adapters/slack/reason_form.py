"""The modal a decision opens under the approval policy: a reason (required or optional) for Approve or
Reject, or, for Remove copy, the `restore-…` datastore's name typed again. Pure builders and parsers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.adapters.slack import ids
from bot.domain import UsageError
from bot.support.i18n import DEFAULT_LOCALE, _

#: What a reason may hold (the audit line and the card show it whole).
REASON_MAX = 500


@dataclass(frozen=True)
class Asked:
    """What the modal carries from the click to its submission (Slack keeps it, signed, for us)."""

    action_id: str
    request_id: int
    response_url: str | None  # the click's: refusals are told to the person who clicked, as for a click
    #: Remove copy: the name to type (only whether there is one travels in the modal, which holds 3000
    #: characters: the listener reads the name again)
    expected: str | None = None


def reason_modal(asked: Asked, *, required: bool, what: str, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """``what``: the decision, as in "Approve request #12"; the modal in the person's ``locale``."""
    if asked.expected is not None:
        label = _("Type {name} to confirm", name=asked.expected).render(locale)
        hint = _("The copy cannot be recovered once removed: type the datastore's name exactly.")
    else:
        label = (_("Reason") if required else _("Reason (optional)")).render(locale)
        hint = _("Recorded in the audit trail and shown on the card and in the thread.")
    return {
        "type": "modal",
        "callback_id": ids.REASON_FORM,
        "private_metadata": json.dumps(
            {
                "a": asked.action_id,
                "r": asked.request_id,
                "u": asked.response_url,
                "e": asked.expected is not None,
            }
        ),
        "title": {"type": "plain_text", "text": "pcc-bot"},
        "submit": {"type": "plain_text", "text": _("Confirm").render(locale)},
        "close": {"type": "plain_text", "text": _("Cancel").render(locale)},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{what}*", "verbatim": True}},
            {
                "type": "input",
                "block_id": ids.REASON_INPUT,
                "optional": not required,
                "label": {"type": "plain_text", "text": label[:2000]},
                "hint": {"type": "plain_text", "text": hint.render(locale)},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.REASON_INPUT,
                    "multiline": asked.expected is None,
                    "max_length": REASON_MAX,
                },
            },
        ],
    }


def parse_reason_view(view: dict[str, Any]) -> tuple[Asked, str]:
    """The modal's submission: what it was opened for (``expected`` is "" when a name must be typed:
    the caller reads which), and the text typed ("" when none)."""
    try:
        meta = json.loads(str(view.get("private_metadata") or ""))
        asked = Asked(str(meta["a"]), int(meta["r"]), meta.get("u"), "" if meta.get("e") else None)
    except (ValueError, KeyError, TypeError):
        said = _("this form does not say which request it is about; use the card's buttons")
        raise UsageError(str(said), text=said) from None
    values = (view.get("state") or {}).get("values") or {}
    typed = ((values.get(ids.REASON_INPUT) or {}).get(ids.REASON_INPUT) or {}).get("value")
    return asked, typed.strip() if isinstance(typed, str) else ""
