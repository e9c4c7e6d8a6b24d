"""Who reads what: what only one person sees is in their Slack locale, at the process boundary (a real
`pcc-bot serve --http`, the Slack stand-in answering users.info with each person's locale)."""

import pytest
from slack_sdk import WebClient

from bot.adapters.slack.people import LOCALE_TTL_SECONDS, RETRY_SECONDS, SlackPeople
from tests.helpers import Serving


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
