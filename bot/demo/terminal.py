"""What a person types at a terminal, made into what Slack would send: slash commands, button clicks
and a form's submission. The console sends it in process, the rehearsal signed over HTTP."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.adapters.slack import ids
from bot.demo.slack_standin import TEAM_ID, SlackCall, SlackStandInServer

CHANNEL = "COPS"
INCIDENT_CHANNEL = "CINCIDENT"
#: The console's word for a click on each button (``ids.CLICKS``).
CLICKS = {action: click.word for action, click in ids.CLICKS.items()}
#: The console's words for a click on a button whose value names the call in doubt (typed: the
#: request's id, and for adopt the task's).
ABOUT_A_DOUBT = (ids.ADOPT, ids.CLOSE_NOT_STARTED)
ACTION_OF = {word: action for action, word in CLICKS.items()}
SHOWN_METHODS = ("chat.postMessage", "chat.update", "response_url", "file_upload", "views.open")
CHANNEL_NAMES = {CHANNEL: "#ops", INCIDENT_CHANNEL: "#incident"}
APPROVER_GROUP = "SONCALL"
_ALSO = ", ".join(f"{ids.CLICKS[action].word} N" for action in ids.CALL_BUTTONS)
CONSOLE_HELP = f"""Console commands (you are acting as a Slack user):
  /pcc <subcommand> ...   or just: help, filers ..., migrate ..., list, status N, cancel N
  approve N | reject N    click a request card's button (also: {_ALSO}, close N)
  adopt N TASK            adopt a candidate task for request N (a call in doubt)
  approve-plan P | reject-plan P | cancel-rest P   click a plan's button
  answer TEXT             submit the form a click opened (a reason, or the name Remove copy asks)
  as NAME                 act as another user (alice files; bob and carol approve)
  wait SECONDS            let time pass and watch the replication (polled every 2 s)
  quit
Approvers: bob (listed by id) and carol (member of user group {APPROVER_GROUP})."""

#: The console's own commands (not slash commands) and their usage.
CONSOLE_WORDS = {"as": "as NAME", "wait": "wait SECONDS", "answer": "answer TEXT"}


def user_id(name: str) -> str:
    return "U" + re.sub(r"[^A-Z0-9]", "", name.upper())


def opened_view(call: SlackCall) -> dict[str, Any]:
    """The modal a ``views.open`` carried (slack_sdk sends it as JSON text)."""
    view = call.args.get("view") or {}
    return dict(json.loads(view) if isinstance(view, str) else view)


@dataclass
class Terminal:
    """Typed lines made into what Slack would send: slash commands and button clicks. How they reach
    the bot is the subclass's: in process (the console) or signed over HTTP (the rehearsal)."""

    standin: SlackStandInServer
    user: str

    def _slash(self, text: str) -> dict[str, Any]:
        return {
            "token": "console",
            "team_id": TEAM_ID,
            "team_domain": "console",
            "channel_id": CHANNEL,
            "channel_name": "ops",
            "user_id": user_id(self.user),
            "user_name": self.user,
            "command": ids.COMMAND,
            "text": text,
            "api_app_id": "ACONSOLE",
            "response_url": self.standin.response_url(),
            "trigger_id": "console",
        }

    def _interaction(self, kind: str) -> dict[str, Any]:
        """What every interaction payload (a click, a form submitted) carries: who, from where."""
        return {
            "type": kind,
            "token": "console",
            "api_app_id": "ACONSOLE",
            "team": {"id": TEAM_ID, "domain": "console"},
            "user": {"id": user_id(self.user), "username": self.user, "team_id": TEAM_ID},
            "trigger_id": "console",
        }

    def _click(self, action_id: str, value: str) -> dict[str, Any]:
        return {
            **self._interaction("block_actions"),
            "channel": {"id": CHANNEL, "name": "ops"},
            "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": False},
            "response_url": self.standin.response_url(),
            "actions": [
                {"action_id": action_id, "block_id": f"decide-{value}", "value": value, "type": "button"}
            ],
        }

    def _value(self, action_id: str, typed: str) -> str:
        """What the button the person means carries: for those about a call in doubt, the request id
        and the call, as on the last card that offered it."""
        if action_id not in ABOUT_A_DOUBT or not typed.isdigit():
            return typed
        for call in reversed(
            self.standin.standin.calls_to("chat.update") + self.standin.standin.calls_to("chat.postMessage")
        ):
            for block in call.args.get("blocks") or []:
                for element in block.get("elements", []) if block.get("type") == "actions" else []:
                    value = str(element.get("value", ""))
                    if element.get("action_id") == action_id and value.split(":")[0] == typed:
                        return ":".join(value.split(":")[:2])
        return typed

    def _submit(self, typed: str) -> dict[str, Any] | None:
        """The last form opened, submitted with ``typed`` in its field (a ``view_submission``)."""
        opened = self.standin.standin.calls_to("views.open")
        if not opened:
            return None
        view = opened_view(opened[-1])
        field = next(b for b in view.get("blocks", []) if b.get("type") == "input")
        element = field["element"]
        value = {"type": element.get("type"), "value": typed}
        view["state"] = {"values": {field["block_id"]: {element["action_id"]: value}}}
        return {**self._interaction("view_submission"), "view": view}

    def _answer(self, typed: str, out: Callable[[str], None]) -> None:
        body = self._submit(typed)
        if body is None:
            out("(no form is open: a click whose rule asks a reason opens one)")
            return
        said = self._dispatch(body)
        errors = json.loads(said).get("errors") if said.startswith("{") else None
        if errors:
            out("(the form says: " + "; ".join(str(e) for e in errors.values()) + ")")

    def _dispatch(self, body: dict[str, Any]) -> str:
        """Send what Slack would; the immediate answer's body (a form's errors), else ""."""
        raise NotImplementedError

    def handle(self, line: str, out: Callable[[str], None]) -> bool:
        """Run one console line; False means quit."""
        words = line.split()
        if not words:
            return True
        head = words[0].lower()
        if head in ("quit", "exit"):
            return False
        if head == "as" and len(words) == 2:
            self.user = words[1].lower()
            out(f"(now acting as {self.user}, Slack id {user_id(self.user)})")
        elif head in ACTION_OF and head != "adopt" and len(words) == 2:
            self._dispatch(self._click(ACTION_OF[head], self._value(ACTION_OF[head], words[1])))
        elif head == "adopt" and len(words) == 3:
            self._dispatch(self._click(ids.ADOPT, f"{self._value(ids.ADOPT, words[1])}:{words[2]}"))
        elif head in ACTION_OF:
            usage = "adopt N TASK" if head == "adopt" else f"{head} N"
            out(f"usage: {usage} (type ? for console commands)")
        elif head == "answer" and len(words) > 1:
            self._answer(line.strip()[len(words[0]) :].strip(), out)
        elif head == "wait" and len(words) == 2 and words[1].isdigit():
            time.sleep(min(int(words[1]), 600))
        elif head in CONSOLE_WORDS:  # a console command with a bad argument is not a slash command
            out(f"usage: {CONSOLE_WORDS[head]} (type ? for console commands)")
        elif head in ("?", "console-help"):
            out(CONSOLE_HELP)
        else:
            text = line.strip()
            text = text.removeprefix("/pcc").strip() if text.startswith("/pcc") else text
            self._dispatch(self._slash(text))
        return True
