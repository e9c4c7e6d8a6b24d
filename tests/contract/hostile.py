"""Hostile data for the Block Kit contracts: names a datastore could carry, and requests made of them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.domain import (
    Filed,
    MigrationRequest,
    MigrationSpec,
    State,
    Task,
)

HOSTILE = (
    "<!channel>",
    "<!here|here>",
    "<@U123>",
    "<#C999|general>",
    "<https://evil.example|click>",
    "a & b > c < d",
    "\u202edesrever\u202c مرحبا",
    "@here #general https://evil.example/x",
    "🔥" * 20,
    "n" * 3000,
    "ssd`<!here>` *x*`",  # a backtick would close the code span the name is shown in
)
# What must never reach Slack from data: a broadcast, a mention of U123, a link to the evil site, a
# direction override that makes a datastore's name display as another.
RAW_MARKUP = re.compile(r"<!|<@U123|<#C999|<https://evil|[\u202a-\u202e\u2066-\u2069]")
NOW = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)


def hostile_filing(value: str, route: str) -> Filed:
    return Filed(
        requester="UALICE",
        channel="COPS",
        created_at=NOW,
        expires_at=NOW,
        source_zone=value,
        dest_zone=value,
        route=route,
    )


def hostile_request(value: str, state: State = State.PENDING, **changes: Any) -> MigrationRequest:
    task = Task(77, value, value, 40, value, None, 1515, NOW)
    base = MigrationRequest(
        spec=MigrationSpec("pcc-192-0-2-15", 1337, 1234, "pcc-192-0-2-50", 1515),
        **vars(hostile_filing(value, route="linkFilerFromSbg")),
        filer_name=value,
        filer_size=value,
        vm_total=3,
        api_call="POST /dedicatedCloud/pcc-192-0-2-50/datacenter/1515/linkFilerFromSbg",
        id=7,
        state=state,
        decided_by="UBOB",
        decided_at=NOW,
        task_id=77,
        task_state=value,
        progress=40,
        last_error=value,
        transferred=value,
        last_check_at=NOW,
        candidates=(task, replace(task, task_id=78)),
        called_at=NOW,
        copy_filer_id=800,
        decision_reason=value,  # a person's reason, shown on the card
    )
    return replace(base, **changes)


def mrkdwn_texts(node: object) -> list[str]:
    """Every text Slack reads as mrkdwn (plain_text shows as it is: it cannot ping). Each is verbatim:
    bare URLs, channel names and @here in it are not turned into links or mentions."""
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    if not isinstance(node, dict):
        return []
    if node.get("type") == "mrkdwn":
        assert node.get("verbatim") is True, node
    found = [str(node["text"])] if node.get("type") == "mrkdwn" else []
    return found + [
        t
        for key, value in node.items()
        if key != "text" or node.get("type") != "mrkdwn"
        for t in mrkdwn_texts(value)
    ]
