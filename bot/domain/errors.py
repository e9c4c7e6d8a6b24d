"""The project's errors, each message written for the person who asked; the form's fields they name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from bot.support.i18n import DEFAULT_LOCALE, Param, Text, _


class PccBotError(Exception):
    """An error whose message is written for the person who asked, as plain text (escaped when shown in
    Slack). ``markup``, when given, is the same message with Slack markup meant as such (a link), in
    English or not yet in any language. ``text``, when given, is the message not yet in any language
    (bot/support/i18n.py): the person is answered in theirs; the plain message is its English words
    (logs)."""

    def __init__(self, *args: object, markup: str | Text | None = None, text: Text | None = None) -> None:
        super().__init__(*args)
        self.markup = markup
        self.text = text


class UsageError(PccBotError):
    """The command text does not fit the grammar."""


class NotFound(PccBotError):
    """A PCC, datacenter, filer, task or request does not exist."""


#: The value of a form list's "loading" option: no service name or id looks like it.
NOT_AN_OPTION = "-"


class Field(StrEnum):
    """The part of a migration request a problem is about (the modal shows it on that field)."""

    SOURCE = "source"
    SOURCE_DATACENTER = "source_datacenter"
    FILER = "filer"
    DESTINATION = "destination"
    DESTINATION_DATACENTER = "destination_datacenter"


class RuleViolation(PccBotError):
    """A migration request breaks one or more of the rules (docs/commands.md). Each problem is in
    English or not yet in any language (a ``Text``): told in its reader's."""

    def __init__(self, problems: Sequence[tuple[Field, str | Text]]) -> None:
        self.problems = list(problems)
        self.violations = [str(text) for _, text in self.problems]
        lines = "".join(f"\n• {{p{n}}}" for n in range(len(self.problems)))
        said = Text("{head}" + lines, {"head": _("Request refused:")} | _params(self.problems))
        super().__init__(str(said), text=said)

    def by_field(self, locale: str = DEFAULT_LOCALE) -> dict[Field, str]:
        found: dict[Field, str] = {}
        for field_name, problem in self.problems:
            text = problem.render(locale) if isinstance(problem, Text) else problem
            found[field_name] = f"{found[field_name]}; {text}" if field_name in found else text
        return found


def _params(problems: list[tuple[Field, str | Text]]) -> dict[str, Param]:
    return {f"p{n}": text for n, (_field, text) in enumerate(problems)}


class NotAllowed(PccBotError):
    """The person may not do this (approve their own request, not an approver...)."""


class Conflict(PccBotError):
    """The request is no longer in a state that allows this action."""


class StorageError(PccBotError):
    """The database could not be read or written."""


class OvhApiError(PccBotError):
    """An OVHcloud API call failed.

    ``ambiguous`` is True when the call may have been carried out anyway (timeout, 5xx, lost
    connection): a mutating call in that state must be reconciled, never retried blindly.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_class: str | None = None,
        query_id: str | None = None,
        ambiguous: bool = False,
    ) -> None:
        self.status = status
        self.error_class = error_class
        self.query_id = query_id
        self.ambiguous = ambiguous
        self.retry_after: float | None = None  # seconds a 429 asked to wait
        suffix = f" (OVH query id {query_id})" if query_id else ""
        super().__init__(f"OVHcloud API error: {message}{suffix}")


class OvhNotFound(OvhApiError, NotFound):
    """OVHcloud answered 404."""


class BudgetSpent(OvhApiError):
    """The call was not sent: the OVHcloud call budget had no room within the wait allowed. Not an
    answer of OVHcloud's, and said so: ``retry_at`` is when a place is expected (None: stopping)."""

    def __init__(self, what: str, retry_at: datetime | None) -> None:
        super().__init__(what)
        self.retry_at = retry_at
        later = f"try again after {retry_at:%H:%M} UTC" if retry_at else "pcc-bot is stopping"
        message = (
            f"not sent: pcc-bot's OVHcloud call budget (PCC_OVH_RATE) has no room for {what}; {later}. "
            "No call was made."
        )
        PccBotError.__init__(self, message)


class NoticeNotDelivered(Exception):
    """The chat did not accept a message; it stays queued. ``retry_after`` in seconds when known;
    ``permanent`` when sending it again cannot help (channel gone, bot not in it, message refused)."""

    def __init__(self, reason: str, retry_after: float | None = None, *, permanent: bool = False) -> None:
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent
        super().__init__(reason)
