"""The i18n machinery: locales, texts kept untranslated until rendered, plural forms, numbers, sizes,
durations, and Slack's date tokens with their UTC fallback."""

import json
from datetime import UTC, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from slack_bolt import Respond

from bot.adapters.slack.dates import date_token, expected_end, fallbacks, utc_text
from bot.support.i18n import Text, _, _n, duration, locale_of, moment, number, size


@pytest.mark.parametrize(
    ("tag", "found"),
    [
        ("fr-FR", "fr"),
        ("fr_CA", "fr"),
        ("FR", "fr"),
        ("en-US", "en"),
        ("en-GB", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_a_slack_locale_is_one_pcc_bot_speaks_or_the_fallback(tag, found):
    assert locale_of(tag) == found


def test_an_unknown_language_falls_back_to_the_one_given():
    assert locale_of("de-DE", fallback="fr") == "fr" and locale_of("en-US", fallback="fr") == "en"


def test_a_text_is_kept_as_msgid_and_parameters_and_rendered_per_reader():
    said = _(
        "{problem}. Usage: `/pcc {usage}` (see `/pcc help`)", problem=_("pages start at 1"), usage="list"
    )
    stored = json.loads(json.dumps(said.to_json()))  # what a stored notice carries: no language in it
    assert "Syntaxe" not in json.dumps(stored)
    again = Text.from_json(stored)
    assert again == said
    assert again.render("en") == "pages start at 1. Usage: `/pcc list` (see `/pcc help`)"
    assert again.render("fr") == "les pages commencent à 1. Syntaxe : `/pcc list` (voir `/pcc help`)"
    assert again.render("fr-FR") == again.render("fr") and str(again) == again.render("en")


def test_plural_forms_follow_the_language():
    def got(count):
        return _n(
            "`{sub}` takes {want} argument(s), got {count}",
            "`{sub}` takes {want} argument(s), got {count}",
            count,
            sub="list",
            want="0",
        )

    assert got(1).render("fr").endswith("1 reçu") and got(2).render("fr").endswith("2 reçus")
    assert got(0).render("fr").endswith("0 reçu")  # French counts zero as one
    assert Text.from_json(got(2).to_json()) == got(2)


def test_a_parameter_is_inserted_as_given_never_read_as_a_template():
    assert _("{name} {value} is not a number", name="{x}", value="'{0}'").render("fr") == (
        "{x} '{0}' n\u2019est pas un nombre"
    )


def test_numbers_sizes_and_durations_follow_the_locale():
    assert number(1234567.5, "en", 1) == "1,234,567.5"
    assert number(1234567.5, "fr", 1) == "1\u202f234\u202f567,5"
    assert size(1536.4, "en") == "1,536.4 GB" and size(1536.4, "fr") == "1\u202f536,4\u202fGo"
    assert size(20480, "fr") == "20,5\u202fTo"  # CLDR's spaces: a line never breaks inside
    assert duration(timedelta(minutes=80), "fr") == "1\u202fh 20\xa0min"
    assert duration(timedelta(minutes=80), "en") == "1 hr 20 min"
    assert duration(timedelta(hours=3), "fr") == "3\u202fh"
    assert duration(timedelta(seconds=20), "fr") == "0\xa0min"


def test_where_no_token_renders_a_moment_is_in_utc_in_the_locales_words():
    at = datetime(2027, 2, 18, 0, 39, tzinfo=ZoneInfo("Europe/Paris"))
    assert moment(at, "en") == "Feb 17, 2027 23:39 UTC"
    assert moment(at, "fr") == "17 févr. 2027 23:39 UTC"


def test_a_moment_is_a_date_token_with_its_utc_text_as_fallback():
    moment = datetime(2027, 2, 18, 6, 39, 30, tzinfo=UTC)
    token = date_token(moment)
    assert token == f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|2027-02-18 06:39 UTC>"
    assert fallbacks(f"ends {token}.") == "ends 2027-02-18 06:39 UTC."
    paris = datetime(2027, 2, 18, 7, 39, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    assert utc_text(paris) == "2027-02-18 07:39 UTC" and utc_text(moment.replace(tzinfo=None)) == utc_text(
        moment
    )


def test_the_expected_end_is_a_date_token_and_the_time_left_follows_the_locale():
    end = datetime(2027, 2, 18, 15, 40, tzinfo=UTC)
    french = expected_end(end, timedelta(minutes=80), "fr")
    assert french == f"fin vers {date_token(end)} (encore environ 1\u202fh 20\xa0min)"
    assert fallbacks(expected_end(end, timedelta(minutes=5), "en")) == (
        "ends around 2027-02-18 15:40 UTC (about 5 min left)"
    )


def test_the_console_shows_a_date_tokens_fallback():
    from bot.adapters.slack.kit import text_message
    from bot.demo.console import render
    from bot.demo.slack_standin import SlackCall

    end = datetime(2027, 2, 18, 15, 40, tzinfo=UTC)
    text, blocks = text_message(expected_end(end, timedelta(minutes=80), "en"))
    shown = render(SlackCall("chat.postMessage", {"channel": "COPS", "text": text, "blocks": blocks}, 200))
    assert "ends around 2027-02-18 15:40 UTC (about 1 hr 20 min left)" in shown and "<!date" not in shown


def test_a_person_queued_for_the_call_budget_then_hit_by_an_error_is_told_in_their_language():
    from bot.support import waits
    from handlers.after_ack import later
    from tests.unit.test_listeners import Inline

    told: list[str] = []

    def job():
        on_wait = waits.current()
        assert on_wait is not None
        on_wait(41.6)
        raise ValueError("boom")

    later(Inline(), _into(told), "UFRANCOIS", job, lambda user: "fr")
    later(Inline(), _into(told), "UALICE", job, lambda user: "en")
    queued_fr, boom_fr, queued_en, boom_en = told
    assert queued_fr == (
        ":hourglass: En file d\u2019attente : pcc-bot respecte le quota d\u2019appels d\u2019OVHcloud ; "
        "votre réponse arrive dans 42 s environ."
    )
    assert boom_fr.startswith(":boom: pcc-bot a rencontré une erreur inattendue (identifiant ")
    assert queued_en.startswith(":hourglass: Queued: pcc-bot is within OVHcloud's call budget; your answer")
    assert boom_en.startswith(":boom: pcc-bot hit an unexpected error (error id ")


def test_an_error_not_yet_wrapped_is_told_as_written():
    from bot.domain import NotFound
    from handlers.errors import tell

    told: list[str] = []
    tell(NotFound("PCC <x> not found"), _into(told), "fr")
    assert told == [":warning: PCC &lt;x&gt; not found"]


def _into(told: list[str]) -> Respond:
    """A Respond that keeps the texts it is given."""
    return cast(Respond, lambda **answer: told.append(answer["text"]))


@pytest.mark.parametrize(("locale", "words"), [("fr", "ce texte"), ("en", "this text")])
def test_a_stored_notice_is_worded_in_the_channels_language_when_it_is_sent(locale, words):
    from bot.domain import NoticeDraft, NoticeKind
    from bot.support.i18n import stored
    from tests.world import INCIDENT, World

    world = World(locale=locale)
    request = world.file()
    kept = stored(_("this text"))
    assert "ce texte" not in kept and "this text" in kept  # stored in no language: the msgid
    for key, text in (("i18n", kept), ("older", "a notice queued before its words were wrapped")):
        world.repo.notices.queue(
            request.id, NoticeDraft(NoticeKind.INCIDENT, key, INCIDENT, text), world.clock.now()
        )
    world.service.deliver_notices()
    sent = [text for channel, text, _ in world.notifier.texts if channel == INCIDENT]
    assert words in sent and "a notice queued before its words were wrapped" in sent
    assert not any('"i18n"' in text for text in sent)


def test_a_stored_text_that_does_not_parse_is_shown_as_it_is():
    from bot.support.i18n import shown

    assert shown('{"i18n": broken', "fr") == '{"i18n": broken'
    assert shown('{"i18n":{"params":{}}}', "fr") == '{"i18n":{"params":{}}}'


def test_a_translation_naming_a_parameter_the_code_does_not_give_falls_back_to_english(monkeypatch):
    import gettext

    from bot.support import i18n

    class Broken(gettext.NullTranslations):
        def gettext(self, message):
            return "{nom} n\u2019est pas un nombre"

    monkeypatch.setattr(i18n, "translations", lambda locale: Broken())
    said = _("{name} {value} is not a number", name="requestId", value="'x'")
    assert said.render("fr") == "requestId 'x' is not a number"


def test_a_status_history_names_its_states_in_the_readers_words():
    from bot.adapters.slack.cards import status_message
    from bot.domain import AuditEntry, State
    from tests.contract.hostile import NOW, hostile_request

    request = hostile_request("ssd", State.APPROVED)
    history = [AuditEntry(request.id, NOW, "UBOB", "approved", State.PENDING, State.APPROVED)]
    french = json.dumps(status_message(request, history, "fr")[1], ensure_ascii=False)
    english = json.dumps(status_message(request, history, "en")[1], ensure_ascii=False)
    assert "(en attente d\u2019approbation \u2192 approuv" in french and "pending \u2192" not in french
    assert "(waiting for approval \u2192 approved, calling OVHcloud)" in english
