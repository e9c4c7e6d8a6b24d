"""`/pcc migrate` with no argument: a modal whose lists come from the live inventory."""

import json
from urllib.parse import urlencode

from tests.conftest import CHANNEL
from tests.test_http import POST_ROUTE


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


def suggest(bot, field: str, typed: str = "", **picked: str) -> list[str]:
    payload = {
        "type": "block_suggestion",
        "user": {"id": "UALICE"},
        "team": {"id": "T0PCC"},
        "api_app_id": "A1",
        "token": "x",
        "action_id": field,
        "block_id": field,
        "value": typed,
        "view": view(**picked),
    }
    response = bot.post(urlencode({"payload": json.dumps(payload)}))
    assert response.status_code == 200
    return [option["value"] for option in response.json()["options"]]


def submit(bot, **picked: str):
    payload = {
        "type": "view_submission",
        "user": {"id": "UALICE"},
        "team": {"id": "T0PCC"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "t",
        "view": view(**picked),
    }
    return bot.post(urlencode({"payload": json.dumps(payload)}))


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


def test_lists_follow_the_inventory_and_the_earlier_choices(bot):
    assert suggest(bot, "src_pcc") == ["pcc-192-0-2-15", "pcc-192-0-2-16", "pcc-192-0-2-17"]  # sbg1a only
    assert suggest(bot, "dst_pcc") == ["pcc-192-0-2-50", "pcc-192-0-2-51", "pcc-192-0-2-60", "pcc-192-0-2-70"]
    assert suggest(bot, "dst_pcc", typed="lim") == ["pcc-192-0-2-60"]
    assert suggest(bot, "src_dc") == []  # nothing until a source is chosen
    assert suggest(bot, "src_dc", src_pcc="pcc-192-0-2-15") == ["1337", "1338"]
    assert suggest(bot, "filer", src_pcc="pcc-192-0-2-15", src_dc="1337") == ["1234", "1235", "1236"]
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
    assert bot.runtime.repo.recent(5) == []
