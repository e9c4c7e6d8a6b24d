"""The words the use cases pass into a refusal (what was asked, which decision), each in the catalogue:
``said_as`` gives the untranslated text a refusal renders in its reader's language; a phrase not listed
(a request's own number) is shown as it is. An operation's own refusal words are its ``Behaviour.refusal``."""

from __future__ import annotations

from bot.domain.policy import Verdict
from bot.support.i18n import Param, Text, _

_PHRASES = {
    # what a reader may not see
    "the datastores of a PCC": _("the datastores of a PCC"),
    "the list of requests": _("the list of requests"),
    "the list of plans": _("the list of plans"),
    "the backup repositories of a PCC": _("the backup repositories of a PCC"),
    "the approval policy": _("the approval policy"),
    "the migrate form's lists of PCCs and datastores": _("the migrate form's lists of PCCs and datastores"),
    # what read-only mode switches off
    "filing a migration request": _("filing a migration request"),
    "filing a restore request": _("filing a restore request"),
    "filing a plan": _("filing a plan"),
    "approving a plan": _("approving a plan"),
    "approving a migration": _("approving a migration"),
    # the decisions
    "approve or reject": _("approve or reject"),
    Verdict.APPROVE: _("approve"),
    Verdict.REJECT: _("reject"),
    "cancel": _("cancel"),
    "cancel the rest of": _("cancel the rest of"),
    "choose the task of": _("choose the task of"),
    "close the call in doubt of": _("close the call in doubt of"),
}


def said_as(phrase: str | Text) -> Param:
    """``phrase`` as the catalogue has it, or as it is (a ``Text`` already is)."""
    return phrase if isinstance(phrase, Text) else _PHRASES.get(phrase, phrase)
