"""Who reads what: what only one person sees is in their Slack locale, what a channel sees in
PCC_LOCALE, every time a Slack date token; at the process boundary (a real `pcc-bot serve --http`, or
the bot serving signed HTTP, the Slack stand-in answering users.info with each person's locale)."""

import json
import re
import time
from dataclasses import replace

import pytest
from slack_sdk import WebClient

from bot.adapters.slack import ids
from bot.adapters.slack.dates import fallbacks
from bot.adapters.slack.people import LOCALE_TTL_SECONDS, RETRY_SECONDS, SlackPeople
from tests.helpers import CHANNEL, INCIDENT, Serving, file_request, signed_headers, start_bot, stop_bot
from tests.unit.test_catalogue import english_words


def test_a_persons_locale_is_read_once_a_day_and_slack_failing_falls_back(slack):
    slack.standin.locales.update({"UFRANCOIS": "fr-FR"})
    now = [0.0]
    people = SlackPeople(WebClient(token="xoxb-test", base_url=slack.api_url), "en", monotonic=lambda: now[0])
    assert [people.locale("UFRANCOIS") for _ in range(3)] == ["fr", "fr", "fr"]
    assert len(slack.standin.calls_to("users.info")) == 1
    slack.standin.locales["UFRANCOIS"] = "en-US"  # they change their language in Slack
    now[0] += LOCALE_TTL_SECONDS - 1
    assert people.locale("UFRANCOIS") == "fr"
    now[0] += 2
    assert people.locale("UFRANCOIS") == "en"
    slack.standin.locales["UFRANCOIS"] = "fr-FR"
    slack.standin.fail("users.info", status=500, times=1, retry_after=None)
    now[0] += LOCALE_TTL_SECONDS + 1
    assert people.locale("UFRANCOIS") == "en"  # PCC_LOCALE while Slack cannot say, asked again soon
    now[0] += RETRY_SECONDS - 1
    assert people.locale("UFRANCOIS") == "en"
    now[0] += 2
    assert people.locale("UFRANCOIS") == "fr" and people.locale(None) == "en"
    for _ in range(2):  # a person Slack does not know: PCC_LOCALE for a day, asked once
        assert people.locale("UNOBODY") == "en"
    assert [c.args["user"] for c in slack.standin.calls_to("users.info")].count("UNOBODY") == 1


@pytest.mark.timeout(120)  # a process start
def test_each_person_is_answered_in_their_own_slack_locale_in_the_same_channel(tmp_path, simulator, slack):
    slack.standin.locales.update({"UFRANCOIS": "fr-FR", "UALICE": "en-US"})
    bot = Serving(tmp_path, simulator, slack, PCC_LOCALE="en")
    asked = [
        ("help", "UFRANCOIS"),
        ("help", "UALICE"),
        ("filers", "UFRANCOIS"),
        ("filers", "UALICE"),
        ("frobnicate", "UFRANCOIS"),
        ("status seven", "UALICE"),
    ]
    answers = []
    try:
        for count, (text, user) in enumerate(asked, start=1):
            bot.command(text, user)
            answered = slack.standin.wait_for("response_url", count, timeout=20)
            assert len(answered) == count, text
            answers.append(str(answered[-1].args["text"]))
    finally:
        bot.kill()
    fr_help, en_help, fr_usage, en_usage, fr_unknown, en_number = answers
    assert fr_help.startswith("*pcc-bot* : copie les datastores (filers) d\u2019un PCC de sbg1a")
    assert "ex. `/pcc filers pcc-192-0-2-15 1337`" in fr_help and "e.g." not in fr_help
    assert en_help.startswith("*pcc-bot*: copy datastores (filers) of a PCC in sbg1a")
    assert fr_usage.startswith(
        ":warning: `filers` attend de 1 à 4 argument(s), 0 reçu. Syntaxe : `/pcc filers"
    )
    assert en_usage.startswith(":warning: `filers` takes 1 to 4 argument(s), got 0. Usage: `/pcc filers")
    assert fr_unknown.startswith(":warning: sous-commande 'frobnicate' inconnue ; connues : filers,")
    assert en_number.startswith(":warning: requestId 'seven' is not a number. Usage:")
    # Each person's locale was asked once (then cached), with include_locale; the channel saw nothing.
    users_info = slack.standin.calls_to("users.info")
    assert sorted(c.args["user"] for c in users_info) == ["UALICE", "UFRANCOIS"]
    assert all(str(c.args.get("include_locale")).lower() in ("1", "true") for c in users_info)
    assert slack.standin.calls_to("chat.postMessage") == []


@pytest.mark.timeout(120)
def test_a_person_slack_cannot_describe_is_answered_in_pcc_locale(tmp_path, simulator, slack):
    slack.standin.locales.update({"UALICE": "en-GB", "UKLAUS": "de-DE"})
    bot = Serving(tmp_path, simulator, slack, PCC_LOCALE="fr")
    answers = []
    try:
        for count, user in enumerate(("UALICE", "UKLAUS", "UNOBODY"), start=1):
            bot.command("list extra", user)
            answers.append(str(slack.standin.wait_for("response_url", count, timeout=20)[-1].args["text"]))
    finally:
        bot.kill()
    english, german_speaker, unknown = answers
    assert english.startswith(":warning: `list` takes 0 argument(s), got 1.")
    # pcc-bot speaks no German; users.info does not know UNOBODY: both get PCC_LOCALE
    assert german_speaker.startswith(":warning: `list` attend 0 argument(s), 1 reçu.")
    assert unknown == german_speaker


#: Slack's date token as pcc-bot writes it: the reader's own time, the UTC text its fallback.
DATE_TOKEN = re.compile(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>")


def _texts(node: object) -> list[str]:
    """Every text a message or view shows (sections, contexts, headers, buttons, confirms)."""
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if isinstance(node.get("text"), str) else []
    return own + [t for k, v in node.items() if not (k == "text" and isinstance(v, str)) for t in _texts(v)]


def _shown(call) -> str:
    return "\n".join([str(call.args.get("text") or ""), *_texts(call.args.get("blocks") or [])])


def _english_left(shown: str) -> list[str]:
    """English words left in French output, OVHcloud's own texts (the simulator's task descriptions and
    API error texts) and the names people typed aside."""
    return english_words(shown.replace("Replicating data", ""))


@pytest.mark.timeout(120)
def test_a_french_channel_reads_its_card_notices_and_board_in_french_with_date_tokens(
    config, slack, simulator, clock
):
    bot = start_bot(replace(config, locale="fr"), slack, clock=clock)
    try:
        request_id = file_request(bot)
        (card,) = slack.standin.calls_to("chat.postMessage")
        _the_card_is_french(card, request_id)
        bot.click(ids.APPROVE, str(request_id), user="UBOB")
        bot.settle()
        for _ in range(3):  # readings that differ: the estimator has a rate
            simulator.sim.advance(1800)
            clock.advance(minutes=30)
            bot.runtime.service.poll_once()
        card_now = _the_notice_card_and_board_are_french(slack, request_id)
    finally:
        stop_bot(bot)
    # the console and logs keep the UTC text: the fallback is what a token shows where Slack cannot
    assert fallbacks(card_now).count(" UTC") >= 2 and "<!date" not in fallbacks(card_now)


def _the_card_is_french(card, request_id: int) -> None:
    shown = _shown(card)
    assert f"Demande de copie de datastore #{request_id}" in shown
    assert re.search(r"\*Demandée par\* <@UALICE>, " + DATE_TOKEN.pattern, shown), shown
    assert re.search("en attente d\u2019approbation · échéance : " + DATE_TOKEN.pattern, shown), shown
    assert {"Approuver", "Rejeter", "Lancer la copie ?", "Retour"} <= set(_texts(card.args["blocks"]))
    assert _english_left(shown) == [], shown


def _the_notice_card_and_board_are_french(slack, request_id: int) -> str:
    """The thread's notice, the card as last edited and the incident board, in French; the card."""
    posted = slack.standin.calls_to("chat.postMessage")
    (started,) = [c for c in posted if "Réplication lancée" in str(c.args["text"])]
    assert started.args["thread_ts"]
    assert f"pour la demande #{request_id} : filer *" in str(started.args["text"])
    (board,) = [c for c in posted if c.args["channel"] == INCIDENT and "Copies de datastores" in _shown(c)]
    edits = [c for c in slack.standin.calls_to("chat.update") if c.args["channel"] == CHANNEL]
    card_now = _shown(edits[-1])
    assert re.search(r"approuvée par <@UBOB>, " + DATE_TOKEN.pattern, card_now), card_now
    assert "réplication en cours" in card_now and "tâche en cours (`doing`)" in card_now
    assert re.search(r"fin vers " + DATE_TOKEN.pattern + r" \(encore environ", card_now), card_now
    boards = [_shown(c) for c in slack.standin.calls_to("chat.update") if c.args["channel"] == INCIDENT]
    board_now = boards[-1] if boards else _shown(board)
    assert "Copies de datastores : 1 actives, 0 terminées, 0 en échec" in board_now
    assert "Les fins et les échecs sont publiés" in board_now and DATE_TOKEN.search(board_now)
    for text in (_shown(started), card_now, board_now):
        assert _english_left(text) == [], text
    return card_now


@pytest.mark.timeout(120)
def test_a_french_speaker_gets_their_app_home_and_errors_in_french_while_the_channel_stays_english(
    config, slack
):
    slack.standin.locales.update({"UFRANCOIS": "fr-FR", "UCAROL": "en-US"})
    bot = start_bot(config, slack)  # PCC_LOCALE: en
    try:
        request_id = file_request(bot, user="UFRANCOIS")
        (card,) = slack.standin.calls_to("chat.postMessage")
        assert "Datastore copy request" in _shown(card) and "waiting for approval" in _shown(card)
        for count, user in enumerate(("UFRANCOIS", "UCAROL"), start=1):
            event = {
                "type": "event_callback",
                "team_id": "T0PCC",
                "api_app_id": "A1",
                "event_id": f"Ev{count}",
                "event_time": int(time.time()),
                "event": {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"},
            }
            body = json.dumps(event)
            headers = {**signed_headers(body), "Content-Type": "application/json"}
            assert bot.post(body, headers=headers).status_code == 200
            slack.standin.wait_for("views.publish", count)
        french, english = [c.args["view"] for c in slack.standin.calls_to("views.publish")]
        french_home, english_home = "\n".join(_texts(french["blocks"])), "\n".join(_texts(english["blocks"]))
        assert "*Vos demandes*" in french_home and "en attente d\u2019approbation" in french_home
        assert "Approuvez ou rejetez depuis la carte" in french_home
        assert _english_left(french_home) == [], french_home
        assert "*Waiting for your approval*" in english_home and f"#{request_id} " in english_home

        bot.click(ids.APPROVE, str(request_id), user="UFRANCOIS")  # four eyes: not their own
        bot.command("status 999", user="UFRANCOIS")
        bot.command("status 999", user="UCAROL")
        bot.command("migrate pcc-192-0-2-15 1337 1235 pcc-192-0-2-15 1337", user="UFRANCOIS")
        bot.settle()
        own, missing_fr, missing_en, refused = bot.replies()[-4:]
        assert refused.startswith(":warning: Demande refusée :\n• "), refused
        assert "la source et la destination sont le même PCC (pcc-192-0-2-15)" in refused
        assert own.startswith(":warning: vous avez déposé la demande #1 vous-même : une autre personne")
        assert missing_fr == ":warning: demande #999 introuvable"
        assert missing_en == ":warning: request #999 not found"
        # the channel saw nothing of it, in any language: its card stays English
        updates = [_shown(c) for c in slack.standin.calls_to("chat.update")]
        assert all("Demande" not in u for u in updates)
    finally:
        stop_bot(bot)
