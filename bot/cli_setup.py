"""The command line's set-up commands: `doctor`, `credentials`, `manifest` and `rehearse`, with help that
says what each reads and does (bot/cli.py dispatches them)."""

from __future__ import annotations

import argparse

#: The console's and the rehearsal's replication speed-up: a 4-hour copy takes two minutes, long
#: enough for its card to show an expected end minutes ahead (the poller needs two readings that moved).
DEMO_SPEED = 120.0


def add_setup_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser(
        "doctor",
        help="check Slack, OVHcloud, the API's routes, the database and the approvers; say what is missing",
        description="Check what `pcc-bot serve` needs, one line each, without changing anything (the "
        "database is neither created nor migrated). It takes no options: it reads the same environment "
        "variables and .env as serve (docs/configuration.md), and OVHcloud's published API description "
        "(GET /1.0/dedicatedCloud.json) to say whether each route pcc-bot calls is present. Exit status: "
        "0 ready, 1 a problem to fix, 2 an invalid variable.",
    )
    sub.add_parser(
        "credentials",
        help="request an OVHcloud consumer key limited to the routes pcc-bot calls",
        description="Ask OVHcloud for a consumer key allowed exactly the routes pcc-bot calls, and print "
        "the URL where the account owner validates it. It takes no options: it reads OVH_ENDPOINT, "
        "OVH_APPLICATION_KEY and OVH_APPLICATION_SECRET (environment or .env), and PCC_MIGRATION_API for "
        "which copy route to allow.",
    )
    manifest = sub.add_parser(
        "manifest",
        help="print the Slack app manifest for HTTP mode, made from manifest.yml",
        description="Print manifest.yml (Socket Mode) turned into the manifest for HTTP mode: Socket "
        "Mode off, and the slash command, interactivity and events sent to https://HOST/slack/events.",
    )
    manifest.add_argument(
        "--http",
        required=True,
        metavar="URL",
        help="the bot's public https URL, like https://pcc.example.com",
    )
    _rehearse_parser(sub)


def _rehearse_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rehearse = sub.add_parser(
        "rehearse",
        help="the real HTTP server between the OVHcloud simulator and a local Slack stand-in",
        description="Run `pcc-bot serve --http` (a real process, checking every request's signature) "
        "between the OVHcloud simulator and a local stand-in for Slack. Type slash commands and click "
        "buttons by number, as in the console; each message Slack would have received is shown.",
    )
    rehearse.add_argument("--as", dest="user", default="alice", help="act as this user (default alice)")
    rehearse.add_argument(
        "--speed",
        type=float,
        default=DEMO_SPEED,
        help=f"simulated replication speed-up (default {DEMO_SPEED:g})",
    )
