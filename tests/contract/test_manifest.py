"""manifest.yml matches the code: commands and actions have listeners; scopes cover the calls made."""

import re
from pathlib import Path

import pytest
import yaml

from bot.adapters.slack import grammar, ids

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

# Web API methods the bot calls (slack_sdk method name -> scope it needs).
SCOPE_OF: dict[str, str | None] = {
    "apps_connections_open": None,  # doctor: the app-level token (connections:write), no bot scope
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",  # a command answered past its response_url
    "chat_update": "chat:write",
    "usergroups_users_list": "usergroups:read",
    "users_info": "users:read",
    "conversations_info": "channels:read",
    "auth_test": None,  # any token
    "files_upload_v2": "files:write",
    "conversations_open": "im:write",
}
# Scopes that no Web API call needs but a feature does.
FEATURE_SCOPES = {
    "commands": "the /pcc slash command",
    "chat:write.public": "posting in the incident room without an invitation",
}


def called_methods() -> set[str]:
    files = [p.read_text() for p in (ROOT / "bot").rglob("*.py")]
    source = "\n".join(text for text in files if "from slack_sdk import WebClient" in text)
    return set(re.findall(r"client\.(\w+)[(,]", source)) - {"get", "post", "new_consumer_key_request"}


def test_slash_commands_in_the_manifest_are_the_ones_registered():
    assert [c["command"] for c in MANIFEST["features"]["slash_commands"]] == [ids.COMMAND]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_scopes_cover_every_method_and_nothing_more():
    methods = called_methods()
    assert methods, "no Web API call found: the scan is broken"
    assert methods <= set(SCOPE_OF), f"unmapped Web API methods: {methods - set(SCOPE_OF)}"
    needed = {SCOPE_OF[m] for m in methods if SCOPE_OF[m]} | set(FEATURE_SCOPES)
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed == ids.SLACK_SCOPES


def test_the_command_texts_follow_the_grammar():
    """The slash command's description names every subcommand of the grammar, and its usage hint
    gives one form per subcommand, in the grammar's order (grammar.USAGE, what `/pcc help` lists)."""
    (command,) = MANIFEST["features"]["slash_commands"]
    named = re.findall(r"[a-z]+", command["description"].partition("(")[2])
    assert named == list(grammar.USAGE)
    forms = [form.split()[0] for form in command["usage_hint"].split(" | ")]
    assert forms == list(grammar.USAGE)


@pytest.mark.parametrize("action_id", ids.ACTIONS)
def test_every_action_has_a_listener(bot, action_id):
    # the buttons that settle a call in doubt carry the call (and Adopt a task id)
    value = {ids.ADOPT: "999999:1:5", ids.CLOSE_NOT_STARTED: "999999:1"}.get(action_id, "999999")
    response = bot.click(action_id, value, user="UBOB")
    assert response.status_code == 200  # Bolt answers 404 for an action nobody listens to
    bot.settle()
    about = "plan" if action_id in (ids.APPROVE_PLAN, ids.REJECT_PLAN, ids.CANCEL_PLAN_REST) else "request"
    assert f"{about} #999999 not found" in bot.replies()[0]


def test_the_slash_command_has_a_listener(bot):
    assert bot.command("help").status_code == 200


def test_every_subscribed_event_has_a_listener():
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    source = "\n".join(p.read_text() for p in (ROOT / "handlers").glob("*.py"))
    assert events and all(f'app.event("{event}")' in source for event in events)
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_the_docs_route_table_is_the_route_table():
    from bot.adapters.ovh import routes

    readme = (ROOT / "docs" / "api.md").read_text()
    rows = re.findall(r"^\| (GET|POST) \| `([^`]+)` \|[^|]*\|([^|]*)\| (.+) \|$", readme, re.M)
    assert [(m, p) for m, p, _, _ in rows] == [(r.method, r.template) for r in routes.ROUTES]
    for (_, _, mutating, iam), route in zip(rows, routes.ROUTES, strict=True):
        assert (mutating.strip() == "yes") == route.mutating, route
        expected = f"`pccVMware:apiovh:{route.iam_action}`" if route.iam_action else "(none: API key only)"
        assert iam.strip() == expected, route
