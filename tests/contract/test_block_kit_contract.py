"""Contract: every Block Kit payload the bot builds, fed hostile values, is valid for slack_sdk's Block
Kit models, and no text from the API or from people can ping a channel, mention someone or break a
message."""

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.adapters.slack import cards, forms, ids, listings, plan_cards
from bot.adapters.slack.reason_form import Asked, reason_modal
from bot.domain import (
    MIGRATION,
    RELAUNCH,
    REMOVAL,
    AuditEntry,
    Datacenter,
    DatacenterFilers,
    Filed,
    Filer,
    FilerListing,
    LeftOut,
    MigrationRequest,
    MigrationSpec,
    NoticeButton,
    OvhApiError,
    Pcc,
    Plan,
    PlanItem,
    PlanState,
    State,
    Task,
)
from bot.support.mrkdwn import esc
from bot.usecases import messages
from bot.usecases.ports import Board, PlanBoard

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


def messages_for(value: str) -> list[tuple[str, list[dict[str, object]]]]:
    filer = Filer(5, value, value, 1.0, 2.0, 3, value)
    listing = FilerListing(
        Pcc("pcc-192-0-2-15", value, value),
        (DatacenterFilers(Datacenter(1337, value, value, value), (filer,) * 3),),
        (replace(filer, is_global=True),),
    )
    audit = [AuditEntry(7, NOW, "UBOB", value, "pending", "approved", value, value)]
    built = [listings.filers_message(listing), listings.help_message(value)]
    for state in State:
        request = hostile_request(value, state)
        built += [cards.card_message(request), cards.status_message(request, audit)]
    built.append(listings.list_message([hostile_request(value)] * 20))
    built.append(
        cards.board_message(Board(tuple(hostile_request(value, State.REPLICATING) for _ in range(3)), 1, 2))
    )
    request = hostile_request(value, State.NEEDS_ATTENTION)
    task = Task(77, value, value, 40, value, None, 1515, NOW)
    error = OvhApiError(value, query_id=value)
    texts = [
        messages.failed(request, task),
        *(messages.refused(request, operation, error) for operation in (MIGRATION, RELAUNCH, REMOVAL)),
        *(messages.in_doubt(request, operation, error) for operation in (MIGRATION, RELAUNCH, REMOVAL)),
        messages.needs_decision(request, request.candidates),
        messages.stalled(request, task, NOW),
        messages.removal_failed(request, task),
        messages.completed(request),
        messages.relaunch_confirmed(request, task),
    ]
    for text in texts:
        for button in NoticeButton:
            built.append((text, cards.notice_blocks(text, button, request)))
    item = PlanItem(5, value, value, 3, 1.0)
    plan = Plan(
        source_service="pcc-192-0-2-15",
        source_datacenter_id=1337,
        dest_service="pcc-192-0-2-50",
        dest_datacenter_id=1515,
        **vars(hostile_filing(value, route=value)),
        items=(item,) * 60,
        left_out=(LeftOut(6, value, value),) * 30,
        id=3,
        state=PlanState.PENDING,
    )
    items = tuple(hostile_request(value, s, plan_id=3, last_error=value) for s in State) * 12
    for plan_state in PlanState:
        shown = items if plan_state != PlanState.PENDING else ()
        built.append(plan_cards.plan_message(PlanBoard(replace(plan, state=plan_state), shown, NOW)))
    return built


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v[:12]))
def test_every_builder_is_valid_block_kit_and_escapes_data(value):
    for text, body in messages_for(value):
        assert len(body) <= 50
        for block in body:
            assert Block.parse(block).to_dict() == block  # valid for slack_sdk's models, nothing dropped
        for shown in [text, *mrkdwn_texts(body)]:  # the fallback text is mrkdwn too
            assert not RAW_MARKUP.search(shown), shown[:200]
            assert " & b" not in shown  # a bare & would start an entity


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v[:12]))
def test_views_are_valid(value):
    request = hostile_request(value)
    for view in (
        listings.home_view([request] * 20, [request] * 20, [request] * 20),
        forms.migrate_form("COPS"),
        forms.form_note(esc(value)),  # its text is mrkdwn: the caller escapes data
        reason_modal(
            Asked(ids.REJECT, 7, "https://hooks.slack.com/x", None), required=True, what="Reject #7"
        ),
        reason_modal(Asked(ids.REMOVE_COPY, 7, None, f"restore-{value}"), required=True, what="Remove #7"),
    ):
        assert View(**view).to_dict()["type"] == view["type"]
        for shown in mrkdwn_texts(view["blocks"]):
            assert not RAW_MARKUP.search(shown), shown[:200]


def test_the_help_shows_its_placeholders_as_text():
    text, _ = listings.help_message("sbg1a")
    assert "&lt;service&gt;" in text and "<service>" not in text
