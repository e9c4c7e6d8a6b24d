"""The catalogue guard: every text the code wraps has French, the same placeholders in both languages,
and no English sentence left in the French; and the texts wrapped so far read in French end to end."""

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.adapters.slack.answers import help_text
from bot.adapters.slack.button_values import parse_doubt_value, parse_request_id
from bot.adapters.slack.grammar import parse, parse_channel, parse_trigger, parse_user
from bot.domain import UsageError
from bot.support.i18n import LOCALES, catalogue_path

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w*)\}")
#: Words that carry nearly every English sentence and are not French words ("or" is, rarely: write
#: "ou"). What may stay English in French output is taken out first: code spans (commands, usages),
#: `<…>` markup and quoted values (OVHcloud's names and error texts, a person's input), emoji codes and
#: setting names.
ENGLISH = frozenset(
    re.findall(
        r"\w+",
        "the is are was were be been not and or of to with for from this that these you your it its has "
        "have had will would can could should by at in into no yes any each every which when what there "
        "their they we our only than then also if so",
    )
)
KEPT_AS_IS = re.compile(
    r"`[^`]*`|<[^>]*>|'[^']*'|\"[^\"]*\"|\{\w*\}|https?://\S+"
    r"|:[a-z0-9_+-]+:"  # Slack's emoji codes (:ballot_box_with_check:)
    r"|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"  # setting names (PCC_READ_ONLY)
)


@cache  # one extraction for the tests that read it (half a second each); they do not change it
def wrapped() -> dict[str, str | None]:
    """Every msgid the code wraps with _() or _n(), with its plural msgid."""
    found: dict[str, str | None] = {}
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords={"_": None, "_n": (1, 2)}
        ):
            singular, plural = message if isinstance(message, tuple) else (message, None)
            found[singular] = plural
    return found


def catalogue(locale: str):
    with catalogue_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


def english_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z]+", KEPT_AS_IS.sub(" ", text)) if w.lower() in ENGLISH]


def test_the_code_wraps_texts_and_the_french_catalogue_has_them_all_checked():
    texts = wrapped()
    assert len(texts) > 20
    french = catalogue("fr")
    missing = []
    for msgid, plural in texts.items():
        entry = french.get(msgid)
        forms = [] if entry is None else list(entry.string) if plural else [entry.string]
        if entry is None or entry.fuzzy or not forms or not all(forms):
            missing.append(msgid)
    assert missing == [], "texts without French (run `make messages`, then fill bot/locale/fr)"


def test_the_french_catalogue_holds_no_text_the_code_no_longer_has():
    texts = wrapped()
    assert sorted(m.id if isinstance(m.id, str) else m.id[0] for m in catalogue("fr") if m.id) == sorted(
        texts
    )


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_every_translation_keeps_the_placeholders_of_its_msgid(locale):
    wrong = []
    for entry in catalogue(locale):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = sorted(PLACEHOLDER.findall(ids[0]))
        wrong += [s for s in strings if s and sorted(PLACEHOLDER.findall(s)) != wanted]
    assert wrong == []


def test_no_french_translation_contains_an_english_sentence():
    left = {
        e.id: english_words(" ".join(e.string) if isinstance(e.string, tuple) else e.string)
        for e in catalogue("fr")
        if e.id
    }
    assert {k: v for k, v in left.items() if v} == {}


def test_the_heuristic_catches_english_and_spares_commands_and_quoted_names():
    assert english_words("the copy of the datastore is finished") == ["the", "of", "the", "is"]
    assert english_words("la copie de `/pcc status <requestId>` pour 'is the name' est finie") == []


REFUSED = [
    "filers",
    "migrate a b",
    "plan a",
    "frobnicate",
    "status x",
    "audit 0",
    "audit 1 2",
    "filers p 1 z",
    "restore pcc-a 1 bad*name",
    "status " + "9" * 19,
    "x" * 600,
    "filers pcc-a page 0",
]


@pytest.mark.parametrize("text", REFUSED)
def test_the_grammar_refuses_in_french_without_english(text):
    with pytest.raises(UsageError) as caught:
        parse(text)
    said = caught.value.text
    assert said is not None and said.render("en") == str(caught.value)
    french = said.render("fr")
    assert french != str(caught.value) and english_words(french) == []


def test_the_help_reads_in_french_without_english():
    french = help_text("sbg1a", "fr")
    assert french != help_text("sbg1a", "en") and english_words(french) == []


@pytest.mark.parametrize(
    "refuse",
    [
        lambda: parse_request_id("x"),
        lambda: parse_doubt_value("x"),
        lambda: parse_doubt_value("1:2:x"),
        lambda: parse_user({}),
        lambda: parse_channel({"channel": {"id": "#ops"}}),
        lambda: parse_trigger({}),
    ],
)
def test_a_payloads_refusals_read_in_french_without_english(refuse):
    with pytest.raises(UsageError) as caught:
        refuse()
    said = caught.value.text
    assert said is not None and said.render("fr") != str(caught.value)
    assert english_words(said.render("fr")) == []


def test_every_phrase_passed_into_a_refusal_is_in_the_catalogue():
    """The words a use case hands a refusal (what was asked, which decision) are keys of
    refusal_words: a phrase not listed is shown in English to every reader."""
    from bot.usecases.refusal_words import _PHRASES

    takes = {"check", "check_plan", "check_item", "check_approver", "check_reader", "refuse_if_read_only"}
    passed = set()
    for path in (ROOT / "bot" / "usecases").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in takes
            ):
                passed |= {
                    a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                }
    assert len(passed) > 10
    assert sorted(passed - set(_PHRASES)) == []
