"""The command grammar's refusals, worded once and kept untranslated (bot/support/i18n.py) until the
person who typed the command is answered, in their language."""

from __future__ import annotations

from bot.domain import UsageError
from bot.support.i18n import Text, _, _n


def show(value: str) -> str:
    """A user's token, quoted and shortened, safe to echo back."""
    printable = "".join(ch if ch.isprintable() else "?" for ch in value)
    return repr(printable[:40] + ("…" if len(printable) > 40 else ""))


def refused(said: Text) -> UsageError:
    """A UsageError whose plain message is the English words (logs) and ``text`` the untranslated one."""
    return UsageError(str(said), text=said)


def with_usage(usage: str, problem: Text) -> UsageError:
    return refused(_("{problem}. Usage: `/pcc {usage}` (see `/pcc help`)", problem=problem, usage=usage))


def too_long(length: int, limit: int) -> UsageError:
    return refused(
        _("the command is {length} characters long; the limit is {limit}", length=length, limit=limit)
    )


def unknown(word: str, known: str) -> UsageError:
    return refused(
        _("unknown subcommand {word}; known: {known}. Try `/pcc help`", word=show(word), known=known)
    )


def arity(sub: str, low: int, high: int, got: int, *, opens_a_form: bool) -> Text:
    """``sub`` was given ``got`` arguments, not ``low`` to ``high`` (or none, when it opens a form)."""
    want: Text | str = str(low)
    if high == low + 1:
        want = _("{low} or {high}", low=low, high=high)
    elif high > low:
        want = _("{low} to {high}", low=low, high=high)
    if opens_a_form:
        want = _("{want} (or none, to open a form)", want=want)
    return _n(
        "`{sub}` takes {want} argument(s), got {count}",
        "`{sub}` takes {want} argument(s), got {count}",
        got,
        sub=sub,
        want=want,
    )


def not_a_service(name: str, value: str) -> Text:
    return _("{name} {value} is not a PCC service name (like pcc-192-0-2-15)", name=name, value=show(value))


def too_long_an_id(name: str, value: str) -> Text:
    return _("{name} {value} is too long for an id (at most 18 digits)", name=name, value=show(value))


def not_a_number(name: str, value: str) -> Text:
    return _("{name} {value} is not a number", name=name, value=show(value))


def not_a_veeam_name(name: str, value: str) -> Text:
    return _(
        "{name} {value} is not a Veeam name (one word, letters and digits first)",
        name=name,
        value=show(value),
    )
