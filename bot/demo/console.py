"""`pcc-bot console`: the real Bolt app and handlers in a terminal, with no Slack and no credentials.

Commands go through the same Bolt listeners as in Slack; the Slack Web API is the local stand-in,
whose messages are printed here; OVHcloud is the built-in simulator, called with signed requests.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from slack_bolt.request import BoltRequest

from bot.adapters.slack.dates import fallbacks
from bot.app import Runtime, build_runtime
from bot.demo import terminal
from bot.demo.samples import simulator_config
from bot.demo.simulator import (
    Simulator,
    SimulatorServer,
)
from bot.demo.slack_standin import SlackCall, SlackStandIn, SlackStandInServer
from bot.demo.terminal import Terminal
from bot.domain.policy import Policy
from bot.support.i18n import DEFAULT_LOCALE

_MENTION = re.compile(r"<@U([A-Z0-9]+)>")
_CHANNEL_REF = re.compile(r"<#([A-Z0-9]+)(\|[^>]*)?>")


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
        return _render_form(terminal.opened_view(call))
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
            words = terminal.CLICKS
            hints = " | ".join(
                f"{words.get(e['action_id'], e['action_id'])} {str(e.get('value', '?')).split(':')[0]}"
                for e in block["elements"]
            )
            lines.append(f"{buttons}   type: {hints}")
    text = fallbacks("\n".join(lines))  # a terminal renders no date token: its UTC text
    text = _MENTION.sub(lambda m: "@" + m.group(1).lower(), text)
    text = _CHANNEL_REF.sub(lambda m: terminal.CHANNEL_NAMES.get(m.group(1), "#" + m.group(1)), text)
    text = html.unescape(text)  # Slack's mrkdwn escapes <, > and &; a terminal shows them as typed
    if call.method == "response_url":
        where = "only you see this"
    else:
        channel = terminal.CHANNEL_NAMES.get(str(args.get("channel")), str(args.get("channel")))
        where = f"{channel}, thread" if args.get("thread_ts") else channel
        if call.method == "chat.update":
            where += ", card updated"
    return f"\n[{where}]\n{text}"


@dataclass
class Console(Terminal):
    runtime: Runtime | None = None

    def _value(self, action_id: str, typed: str) -> str:
        if action_id not in terminal.ABOUT_A_DOUBT or not typed.isdigit() or self.runtime is None:
            return typed
        request = self.runtime.repo.requests.get(int(typed))
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
        if call.method in terminal.SHOWN_METHODS:
            shown = render(call)
            self.out(shown.replace("\n[", f"\n[{call.method} → ", 1) if self.methods else shown)


def repl(session: Terminal, screen: Screen, stdin: IO[str]) -> None:
    """Read lines until the end of the input, `quit`, Ctrl-C or a reader gone."""
    interactive = stdin.isatty()
    try:
        while not screen.gone:
            if interactive:
                screen.stdout.write(f"{session.user}> ")
                screen.stdout.flush()
            line = stdin.readline()
            if not line or screen.gone:
                break
            if not interactive and line.strip():
                screen.out(f"\n{session.user}> {line.strip()}")
            if not session.handle(line, screen.out):
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
        SlackStandIn(usergroups={terminal.APPROVER_GROUP: [terminal.user_id("carol")]}, listener=screen.show)
    ).start()
    workdir = tempfile.TemporaryDirectory(prefix="pcc-console-")
    config = simulator_config(
        sim.url,
        standin.api_url,
        db_path or str(Path(workdir.name) / "console.db"),
        slack_bot_token="xoxb-console",
        approvers=frozenset({terminal.user_id("bob"), terminal.APPROVER_GROUP}),
        incident_channel=terminal.INCIDENT_CHANNEL,
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
