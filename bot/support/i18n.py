"""Texts in the reader's language, rendered when they are delivered, never stored already rendered.

A text is kept as a ``Text``: its English message id (the gettext msgid, with ``{name}`` placeholders),
its plural form and count when it has one, and its parameters; ``Text.to_json`` is that form as JSON
(what a stored notice or card carries) and ``Text.render(locale)`` the words for one reader.
``_("…", name=value)`` and ``_n("one …", "{count} …", count)`` build them; ``make messages``
extracts those calls into ``bot/locale/pcc_bot.pot`` and updates each ``<lang>/LC_MESSAGES/pcc_bot.po``.

A catalogue is the ``.po`` file, compiled to ``.mo`` bytes with Babel when a process first needs it
(a few milliseconds): no compiled file is kept, so none can be stale. English is the message ids
themselves. Numbers, sizes and durations shown to people follow the locale (Babel's CLDR data).
"""

from __future__ import annotations

import gettext
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.units import format_unit

#: The languages pcc-bot speaks; the first is the message ids' own.
LOCALES = ("en", "fr")
DEFAULT_LOCALE = "en"
DOMAIN = "pcc_bot"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def locale_of(tag: str | None, fallback: str = DEFAULT_LOCALE) -> str:
    """One of LOCALES for a Slack or POSIX locale tag (``fr-FR``, ``fr_CA``, ``en-US``); else ``fallback``."""
    language = re.split(r"[-_.@]", (tag or "").strip(), maxsplit=1)[0].lower()
    return language if language in LOCALES else fallback


def catalogue_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The locale's catalogue: its ``.po`` compiled to ``.mo`` in memory, read by gettext. Fuzzy entries
    are left out (they are guesses nobody checked), so they show in English and the guard test fails."""
    if locale not in LOCALES or locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    with catalogue_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class Text:
    """A text for people, not yet in any language: rendered for each reader (``render``)."""

    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)
    plural: str | None = None  # the plural msgid; ``params["count"]`` chooses the form
    count: int | None = None

    def render(self, locale: str) -> str:
        words = translations(locale_of(locale))
        if self.plural is not None:
            template = words.ngettext(self.msgid, self.plural, self.count or 0)
        else:
            template = words.gettext(self.msgid)
        values: dict[str, Any] = {k: _value(v, locale) for k, v in self.params.items()}
        if self.count is not None:
            values.setdefault("count", self.count)
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # a translation naming a parameter the code does not
            # give (the catalogue test forbids it): the English words rather than no answer at all
            english = self.msgid if self.plural is None or self.count == 1 else self.plural
            return english.format(**values)

    def to_json(self) -> dict[str, Any]:
        """The locale-independent form a stored notice or card carries (JSON-ready)."""
        found: dict[str, Any] = {"msgid": self.msgid}
        if self.plural is not None:
            found.update(plural=self.plural, count=self.count)
        if self.params:
            found["params"] = {k: v.to_json() if isinstance(v, Text) else v for k, v in self.params.items()}
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Text:
        params = {
            k: cls.from_json(v) if isinstance(v, Mapping) else v
            for k, v in (data.get("params") or {}).items()
        }
        return cls(str(data["msgid"]), params, data.get("plural"), data.get("count"))

    def __str__(self) -> str:  # logs and plain-text contexts: the English words
        return self.render(DEFAULT_LOCALE)


Param = str | int | float | Text


#: How a stored text (a notice in the outbox) says it is a Text, not words already written.
_STORED = "i18n"


def stored(text: Text) -> str:
    """The text as a stored notice carries it: JSON, in no language (``shown`` renders it)."""
    return json.dumps({_STORED: text.to_json()}, ensure_ascii=False, separators=(",", ":"))


def shown(kept: str, locale: str) -> str:
    """A stored text in ``locale``: a ``stored`` Text rendered; anything else (a notice queued before
    its words were wrapped) as it was written."""
    if kept.startswith('{"' + _STORED + '":'):
        try:
            return Text.from_json(json.loads(kept)[_STORED]).render(locale)
        except (ValueError, KeyError, TypeError):
            return kept
    return kept


def _value(value: Param, locale: str) -> Param:
    return value.render(locale) if isinstance(value, Text) else value


def _(msgid: str, **params: Param) -> Text:
    """A text to translate (extracted by ``make messages``), rendered later for each reader."""
    return Text(msgid, params)


def _n(singular: str, plural: str, count: int, **params: Param) -> Text:
    """A text with plural forms; ``{count}`` in it is the count."""
    return Text(singular, params, plural, count)


def number(value: float, locale: str, decimals: int = 0) -> str:
    """A number shown to people, with the locale's separators (1,234.5 / 1 234,5)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale_of(locale))


def size(gigabytes: float, locale: str) -> str:
    """A size in gigabytes or terabytes, the locale's unit names (GB, Go)."""
    unit, amount = (
        ("digital-terabyte", gigabytes / 1000) if gigabytes >= 10_000 else ("digital-gigabyte", gigabytes)
    )
    return format_unit(amount, unit, length="short", format="#,##0.#", locale=locale_of(locale))


def duration(span: timedelta, locale: str) -> str:
    """Hours and minutes in the locale's short units: ``1 hr 20 min`` / ``1 h 20 min``."""
    minutes = max(0, int(span.total_seconds() // 60))
    hours, rest = divmod(minutes, 60)
    loc = locale_of(locale)
    parts = [format_unit(hours, "duration-hour", length="short", locale=loc)] if hours else []
    if rest or not hours:
        parts.append(format_unit(rest, "duration-minute", length="short", locale=loc))
    return " ".join(parts)


def moment(at: datetime, locale: str) -> str:
    """A moment in UTC in the locale's words, where Slack renders no date token (plain_text: buttons,
    headers, modal titles; a file): ``Feb 18, 2027 06:39 UTC`` / ``18 févr. 2027 06:39 UTC``."""
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    day = format_date(utc, format="medium", locale=locale_of(locale))
    return f"{day} {format_time(utc, 'HH:mm', tzinfo=UTC, locale=locale_of(locale))} UTC"
