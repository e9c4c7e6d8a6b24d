"""`/pcc migrate` with no argument: a modal whose lists come from the live inventory."""

import json
from dataclasses import replace
from urllib.parse import urlencode

import pytest

from tests.helpers import CHANNEL, POST_ROUTE, start_bot, stop_bot


def view_state(**picked: str) -> dict[str, object]:
    return {
        "values": {
            block: {
                block: {
                    "type": "external_select",
                    "selected_option": {"text": {"type": "plain_text", "text": v}, "value": v},
                }
            }
            for block, v in picked.items()
        }
    }


def view(**picked: str) -> dict[str, object]:
    return {
        "id": "V1",
        "type": "modal",
        "callback_id": "pcc_migrate_form",
        "private_metadata": CHANNEL,
        "state": view_state(**picked),
    }


def interaction(bot, kind: str, **fields: object):
    """A signed interaction payload from UALICE, as Slack posts it."""
    payload = {"type": kind, "user": {"id": "UALICE"}, "team": {"id": "T0PCC"}, "api_app_id": "A1", **fields}
    return bot.post(urlencode({"payload": json.dumps({"token": "x", **payload})}))


def suggest(bot, field: str, typed: str = "", **picked: str) -> list[str]:
    response = interaction(
        bot, "block_suggestion", action_id=field, block_id=field, value=typed, view=view(**picked)
    )
    assert response.status_code == 200
    return [option["value"] for option in response.json()["options"]]


def submit(bot, **picked: str):
    return submit_view(bot, view(**picked))


def submit_view(bot, submitted: dict[str, object]):
    return interaction(bot, "view_submission", trigger_id="t", view=submitted)


SPEC_VALUES = {
    "src_pcc": "pcc-192-0-2-15",
    "src_dc": "1337",
    "filer": "1234",
    "dst_pcc": "pcc-192-0-2-50",
    "dst_dc": "1515",
}


def test_migrate_without_arguments_opens_the_form(bot):
    assert bot.command("migrate").status_code == 200
    bot.settle()
    (opened,) = bot.slack.standin.calls_to("views.open")
    assert opened.args["trigger_id"] == "1.2.x"
    form = opened.args["view"]
    assert form["callback_id"] == "pcc_migrate_form" and form["private_metadata"] == CHANNEL
    selects = [b["element"] for b in form["blocks"] if b["type"] == "input"]
    assert [s["action_id"] for s in selects] == ["src_pcc", "src_dc", "filer", "dst_pcc", "dst_dc"]
    assert {s["type"] for s in selects} == {"external_select"}


def suggest_loaded(bot, field: str, typed: str = "", **picked: str) -> list[str]:
    """Ask once (the list starts loading in the background), let it load, ask again."""
    first = suggest(bot, field, typed, **picked)
    bot.settle()
    return suggest(bot, field, typed, **picked) if first == ["-"] else first


def test_lists_follow_the_inventory_and_the_earlier_choices(bot):
    assert suggest(bot, "src_pcc") == ["-"]  # not loaded yet: one option says it is loading
    bot.settle()
    assert suggest(bot, "src_pcc") == ["pcc-192-0-2-15", "pcc-192-0-2-16", "pcc-192-0-2-17"]  # sbg1a only
    assert suggest(bot, "dst_pcc") == ["pcc-192-0-2-50", "pcc-192-0-2-51", "pcc-192-0-2-60", "pcc-192-0-2-70"]
    assert suggest(bot, "dst_pcc", typed="lim") == ["pcc-192-0-2-60"]
    assert suggest(bot, "src_dc") == []  # nothing until a source is chosen
    assert suggest_loaded(bot, "src_dc", src_pcc="pcc-192-0-2-15") == ["1337", "1338"]
    assert suggest_loaded(bot, "filer", src_pcc="pcc-192-0-2-15", src_dc="1337") == ["1234", "1235", "1236"]
    assert suggest(bot, "src_pcc", typed="pcc-nope") == []


def test_a_valid_form_files_the_request(bot, simulator):
    response = submit(
        bot, src_pcc="pcc-192-0-2-15", src_dc="1337", filer="1234", dst_pcc="pcc-192-0-2-50", dst_dc="1515"
    )
    assert response.status_code == 200 and response.text == ""  # the modal closes
    bot.settle()
    (card,) = bot.slack.standin.calls_to("chat.postMessage")
    assert card.args["channel"] == CHANNEL and "ssd-001234" in json.dumps(card.args["blocks"])
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []


def test_rule_errors_are_shown_on_their_field(bot):
    response = submit(
        bot, src_pcc="pcc-192-0-2-15", src_dc="1337", filer="1234", dst_pcc="pcc-192-0-2-51", dst_dc="1520"
    )
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["dst_pcc"]
    assert "has HDS enabled, destination pcc-192-0-2-51 does not" in answer["errors"]["dst_pcc"]
    missing = submit(bot, src_pcc="pcc-192-0-2-15").json()
    assert set(missing["errors"]) == {"src_dc", "filer", "dst_pcc", "dst_dc"}
    assert bot.runtime.repo.requests.recent(5) == []


def test_opening_the_form_warms_its_first_list(bot):
    bot.command("migrate")
    bot.settle()
    assert suggest(bot, "src_pcc") == ["pcc-192-0-2-15", "pcc-192-0-2-16", "pcc-192-0-2-17"]


def test_with_a_slow_api_the_lists_answer_from_memory_and_the_submit_says_it_is_checking(
    config, slack, simulator
):
    simulator.sim.latency = 1.0  # every OVHcloud answer takes a second
    bot = start_bot(config, slack)
    try:
        assert suggest(bot, "src_pcc") == ["-"]  # answered at once (Bolt would 404 past 3 s)
        bot.command("help")  # other commands are acked meanwhile
        response = submit(
            bot,
            src_pcc="pcc-192-0-2-15",
            src_dc="1337",
            filer="1234",
            dst_pcc="pcc-192-0-2-50",
            dst_dc="1515",
        )
        assert response.status_code == 200
        assert response.json()["response_action"] == "update"
        assert "Checking the rules" in json.dumps(response.json()["view"])
        bot.settle()
        (outcome,) = slack.standin.calls_to("views.update")
        assert outcome.args["view_id"] == "V1" and "Request #1 filed" in json.dumps(outcome.args["view"])
        assert suggest(bot, "src_pcc") == ["pcc-192-0-2-15", "pcc-192-0-2-16", "pcc-192-0-2-17"]
    finally:
        stop_bot(bot)


@pytest.mark.parametrize(
    ("picked", "field", "expected"),
    [
        (dict(SPEC_VALUES, src_dc="1_234"), "src_dc", "'1_234' is not a number"),
        (dict(SPEC_VALUES, src_pcc="-"), "src_pcc", "Pick one from the list"),
        (dict(SPEC_VALUES, dst_pcc="pcc nope"), "dst_pcc", "is not a PCC service name"),
    ],
)
def test_submitted_values_go_through_the_commands_parsers(bot, picked, field, expected):
    answer = submit(bot, **picked).json()
    assert answer["response_action"] == "errors" and expected in answer["errors"][field]
    assert bot.runtime.repo.requests.recent(5) == []


def test_a_form_without_a_valid_channel_is_refused_on_a_field(bot):
    payload_view = dict(view(**SPEC_VALUES), private_metadata="not a channel")
    answer = submit_view(bot, payload_view).json()
    assert "lost the channel" in answer["errors"]["src_pcc"]
    assert bot.runtime.repo.requests.recent(5) == []


def test_read_only_and_an_api_down_come_back_on_a_field_not_as_an_http_error(config, slack, simulator):
    bot = start_bot(replace(config, read_only=True), slack)
    try:
        answer = submit(bot, **SPEC_VALUES)
        assert answer.status_code == 200 and "read-only mode" in answer.json()["errors"]["src_pcc"]
    finally:
        stop_bot(bot)
    bot = start_bot(config, slack)
    try:
        simulator.sim.inject("GET", r"^/dedicatedCloud/pcc-192-0-2-15$", 503, times=10)
        answer = submit(bot, **SPEC_VALUES)
        assert answer.status_code == 200 and "503" in answer.json()["errors"]["src_pcc"]
    finally:
        stop_bot(bot)
