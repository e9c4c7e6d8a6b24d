"""`pcc-bot console`: the real Bolt app and handlers in a terminal, with no Slack and no credentials.

Commands go through the same Bolt listeners as in Slack; the Slack Web API is the local stand-in,
whose messages are printed here; OVHcloud is the built-in simulator, called with signed requests.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from slack_bolt.request import BoltRequest

from bot.adapters.slack import ids
from bot.adapters.slack.dates import fallbacks
from bot.app import Runtime, build_runtime
from bot.demo.samples import simulator_config
from bot.demo.simulator import (
    Simulator,
    SimulatorServer,
)
from bot.demo.slack_standin import TEAM_ID, SlackCall, SlackStandIn, SlackStandInServer
from bot.domain.policy import Policy
from bot.support.i18n import DEFAULT_LOCALE

CHANNEL = "COPS"
INCIDENT_CHANNEL = "CINCIDENT"
CLICKS = {
    ids.APPROVE: "approve",
    ids.REJECT: "reject",
    ids.RETRY: "retry",
    ids.REMOVE_COPY: "remove",
    ids.CLOSE_NOT_STARTED: "close",
    ids.ADOPT: "adopt",
    ids.APPROVE_PLAN: "approve-plan",
    ids.REJECT_PLAN: "reject-plan",
    ids.CANCEL_PLAN_REST: "cancel-rest",
}
#: The console's words for a click on a button whose value names the call in doubt (typed: the
#: request's id, and for adopt the task's).
ABOUT_A_DOUBT = (ids.ADOPT, ids.CLOSE_NOT_STARTED)
ACTION_OF = {word: action for action, word in CLICKS.items()}
SHOWN_METHODS = ("chat.postMessage", "chat.update", "response_url", "file_upload", "views.open")
CHANNEL_NAMES = {CHANNEL: "#ops", INCIDENT_CHANNEL: "#incident"}
APPROVER_GROUP = "SONCALL"
CONSOLE_HELP = f"""Console commands (you are acting as a Slack user):
  /pcc <subcommand> ...   or just: help, filers ..., migrate ..., list, status N, cancel N
  approve N | reject N    click a request card's button (also: retry N, remove N, close N)
  adopt N TASK            adopt a candidate task for request N (a call in doubt)
  approve-plan P | reject-plan P | cancel-rest P   click a plan's button
  answer TEXT             submit the form a click opened (a reason, or the name Remove copy asks)
  as NAME                 act as another user (alice files; bob and carol approve)
  wait SECONDS            let time pass and watch the replication (polled every 2 s)
  quit
Approvers: bob (listed by id) and carol (member of user group {APPROVER_GROUP})."""

#: The console's own commands (not slash commands) and their usage.
CONSOLE_WORDS = {"as": "as NAME", "wait": "wait SECONDS", "answer": "answer TEXT"}
_MENTION = re.compile(r"<@U([A-Z0-9]+)>")
_CHANNEL_REF = re.compile(r"<#([A-Z0-9]+)(\|[^>]*)?>")


def user_id(name: str) -> str:
    return "U" + re.sub(r"[^A-Z0-9]", "", name.upper())


def opened_view(call: SlackCall) -> dict[str, Any]:
    """The modal a ``views.open`` carried (slack_sdk sends it as JSON text)."""
    view = call.args.get("view") or {}
    return dict(json.loads(view) if isinstance(view, str) else view)


def _render_form(view: dict[str, Any]) -> str:
    said = [
        b["text"]["text"].strip("*") if b.get("type") == "section" else b.get("label", {}).get("text", "")
        for b in view.get("blocks", [])
        if b.get("type") in ("section", "input")
    ]
    return f"\n[a form opened, only you see it] {': '.join(said)}\n  type: answer TEXT"


def render(call: SlackCall) -> str:
    """A message the bot sent, as terminal text."""
    args = call.args
    if call.method == "views.open":
        return _render_form(opened_view(call))
    if call.method == "file_upload":  # a CSV sent by direct message (`filers … csv`, `audit`)
        rows = str(args.get("content", "")).splitlines()
        shown = "\n".join(rows[:6]) + (f"\n… ({len(rows)} lines in all)" if len(rows) > 6 else "")
        return f"\n[a file, in your direct messages]\n{shown}"
    lines: list[str] = []
    # A board (a plan's, the incident room's): its lines are the news, so an edit shows them all.
    board = str(args.get("text", "")).startswith(("Plan #", "Datastore copies"))
    for block in args.get("blocks") or [{"type": "section", "text": {"text": args.get("text", "")}}]:
        kind = block.get("type")
        if call.method == "chat.update" and kind not in ("header", "context") and not board:
            continue
        if kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section":
            lines.append(block["text"]["text"])
        elif kind == "context":
            lines.append("  (" + " ".join(e.get("text", "") for e in block["elements"]) + ")")
        elif kind == "actions":
            buttons = " ".join(f"[{e['text']['text']}]" for e in block["elements"])
            hints = " | ".join(
                f"{CLICKS.get(e['action_id'], e['action_id'])} {str(e.get('value', '?')).split(':')[0]}"
                for e in block["elements"]
            )
            lines.append(f"{buttons}   type: {hints}")
    text = fallbacks("\n".join(lines))  # a terminal renders no date token: its UTC text
    text = _MENTION.sub(lambda m: "@" + m.group(1).lower(), text)
    text = _CHANNEL_REF.sub(lambda m: CHANNEL_NAMES.get(m.group(1), "#" + m.group(1)), text)
    text = html.unescape(text)  # Slack's mrkdwn escapes <, > and &; a terminal shows them as typed
    if call.method == "response_url":
        where = "only you see this"
    else:
        channel = CHANNEL_NAMES.get(str(args.get("channel")), str(args.get("channel")))
        where = f"{channel}, thread" if args.get("thread_ts") else channel
        if call.method == "chat.update":
            where += ", card updated"
    return f"\n[{where}]\n{text}"


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

    def _click(self, action_id: str, value: str) -> dict[str, Any]:
        return {
            "type": "block_actions",
            "token": "console",
            "api_app_id": "ACONSOLE",
            "team": {"id": TEAM_ID, "domain": "console"},
            "user": {"id": user_id(self.user), "username": self.user, "team_id": TEAM_ID},
            "channel": {"id": CHANNEL, "name": "ops"},
            "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": False},
            "response_url": self.standin.response_url(),
            "trigger_id": "console",
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
        return {
            "type": "view_submission",
            "token": "console",
            "api_app_id": "ACONSOLE",
            "team": {"id": TEAM_ID, "domain": "console"},
            "user": {"id": user_id(self.user), "username": self.user, "team_id": TEAM_ID},
            "trigger_id": "console",
            "view": view,
        }

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


@dataclass
class Console(Terminal):
    runtime: Runtime | None = None

    def _value(self, action_id: str, typed: str) -> str:
        if action_id not in ABOUT_A_DOUBT or not typed.isdigit() or self.runtime is None:
            return typed
        request = self.runtime.repo.get(int(typed))
        return f"{typed}:{request.episode}" if request else typed

    def _dispatch(self, body: dict[str, Any]) -> str:
        assert self.runtime is not None
        answer = self.runtime.app.dispatch(BoltRequest(body=body, mode="socket_mode"))
        self.runtime.wait_idle(timeout=120)
        return str(answer.body or "")


class Screen:
    """Where the terminal prints; when the reader has gone (`… | head -3`), it stops quietly."""

    def __init__(self, stdout: IO[str], *, methods: bool = False) -> None:
        self.stdout = stdout
        self.gone = False
        self.methods = methods  # name the Web API method each message came by (the rehearsal)

    def out(self, text: str) -> None:
        if self.gone:
            return
        try:
            print(text, file=self.stdout, flush=True)
        except BrokenPipeError:
            self.gone = True
            _silence(self.stdout)

    def show(self, call: SlackCall) -> None:
        """A message the bot sent to Slack."""
        if call.method in SHOWN_METHODS:
            shown = render(call)
            self.out(shown.replace("\n[", f"\n[{call.method} → ", 1) if self.methods else shown)


def repl(terminal: Terminal, screen: Screen, stdin: IO[str]) -> None:
    """Read lines until the end of the input, `quit`, Ctrl-C or a reader gone."""
    interactive = stdin.isatty()
    try:
        while not screen.gone:
            if interactive:
                screen.stdout.write(f"{terminal.user}> ")
                screen.stdout.flush()
            line = stdin.readline()
            if not line or screen.gone:
                break
            if not interactive and line.strip():
                screen.out(f"\n{terminal.user}> {line.strip()}")
            if not terminal.handle(line, screen.out):
                break
    except KeyboardInterrupt:
        screen.out("")


def run(
    speed: float,
    user: str,
    db_path: str | None,
    stdin: IO[str] = sys.stdin,
    stdout: IO[str] = sys.stdout,
    locale: str = DEFAULT_LOCALE,
    policy: Policy | None = None,
) -> int:
    """The console; ``locale`` is the bot's language for the channel and for every console user (the
    stand-in's users.info knows none of them, so each falls back to it); ``policy`` is PCC_POLICY's
    (a click whose rule asks a reason opens a form: `answer TEXT` submits it)."""
    screen = Screen(stdout)
    sim = SimulatorServer(Simulator(speed=speed)).start()
    standin = SlackStandInServer(
        SlackStandIn(usergroups={APPROVER_GROUP: [user_id("carol")]}, listener=screen.show)
    ).start()
    workdir = tempfile.TemporaryDirectory(prefix="pcc-console-")
    config = simulator_config(
        sim.url,
        standin.api_url,
        db_path or str(Path(workdir.name) / "console.db"),
        slack_bot_token="xoxb-console",
        approvers=frozenset({user_id("bob"), APPROVER_GROUP}),
        incident_channel=INCIDENT_CHANNEL,
        poll_seconds=2,
        locale=locale,
        approval_policy=policy,
    )
    runtime = build_runtime(config)
    runtime.start_background()
    screen.out(
        f"pcc-bot console: OVHcloud simulator at {sim.url} (replication x{speed:g}), Slack stand-in.\n"
        f"You are {user}. Try: filers pcc-192-0-2-15 · type ? for console commands."
    )
    try:
        repl(Console(standin, user, runtime), screen, stdin)
    finally:
        runtime.close()
        standin.stop()
        sim.stop()
        workdir.cleanup()
    return 0


def _silence(stream: IO[str]) -> None:
    """Point a stream whose reader left at /dev/null, so that nothing (not even the interpreter's last
    flush) raises BrokenPipeError."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
