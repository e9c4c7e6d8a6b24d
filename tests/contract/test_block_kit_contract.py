"""Contract: every Block Kit payload the bot builds, fed hostile values, is valid for slack_sdk's Block
Kit models, and no text from the API or from people can ping a channel, mention someone or break a
message."""

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.adapters.slack import cards, forms, ids, kit, listings, plan_cards
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


def messages_for(value: str) -> list[tuple[str, list[dict[str, object]]]]:
    filer = Filer(5, value, value, 1.0, 2.0, 3, value)
    listing = FilerListing(
        Pcc("pcc-192-0-2-15", value, value),
        (DatacenterFilers(Datacenter(1337, value, value, value), (filer,) * 3),),
        (replace(filer, is_global=True),),
    )
    audit = [AuditEntry(7, NOW, "UBOB", value, "pending", "approved", value, value)]
    built = [
        listings.filers_message(listing),
        listings.help_message(value),
        listings.help_message(value, "fr"),
    ]
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
        assert len(body) <= 50 and kit.text_size(body) <= kit.MAX_MESSAGE_TEXT  # it fits, whatever the data
        for block in body:
            assert Block.parse(block).to_dict() == block  # valid for slack_sdk's models, nothing dropped
        for shown in [text, *mrkdwn_texts(body)]:  # the fallback text is mrkdwn too
            assert not RAW_MARKUP.search(shown), shown[:200]
            assert " & b" not in shown  # a bare & would start an entity
            assert "`" not in value or "ssd`" not in shown  # a backtick in data never reaches Slack


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
    for locale in ("en", "fr"):
        text, _ = listings.help_message("sbg1a", locale)
        assert "&lt;service&gt;" in text and "<service>" not in text


# Messages that fit: every card and board under Slack's limits at any size (kit.fitted).
FIT_STATES = {
    "pending": (State.PENDING,),
    "copying": (State.REPLICATING,),
    "mixed": (State.FAILED, State.NEEDS_ATTENTION, State.REPLICATING, State.PENDING, State.DONE),
}


def sized_board(size: int, states: tuple[State, ...], name: str, plan_state: PlanState) -> PlanBoard:
    plan = Plan(
        source_service="pcc-192-0-2-15",
        source_datacenter_id=1337,
        dest_service="pcc-192-0-2-50",
        dest_datacenter_id=1515,
        **vars(hostile_filing("sbg1a", route="linkFilerFromSbg")),
        items=tuple(PlanItem(20000 + n, f"{name}-{n:04d}", "3 TB", 12, 1.0) for n in range(size)),
        left_out=tuple(LeftOut(30000 + n, f"{name}-x{n}", "request #9 has it (pending)") for n in range(9)),
        id=3,
        state=plan_state,
    )
    if plan_state == PlanState.PENDING:
        return PlanBoard(plan, (), NOW)
    items = tuple(
        hostile_request(
            "sbg1a",
            states[n % len(states)],
            id=100 + n,
            plan_id=3,
            filer_name=f"{name}-{n:04d}",
            last_error="Injected failure 400: the datastore is busy" * 3,
            progress=37,
            task_state="error" if states[n % len(states)] == State.FAILED else "doing",
        )
        for n in range(size)
    )
    return PlanBoard(plan, items, NOW)


def assert_fits(body: list[dict[str, object]]) -> None:
    assert len(body) <= kit.MAX_BLOCKS
    assert kit.text_size(body) <= kit.MAX_MESSAGE_TEXT
    for block in body:
        assert Block.parse(block).to_dict() == block


@pytest.mark.parametrize("size", [1, 39, 200, 400])
@pytest.mark.parametrize("shape", sorted(FIT_STATES))
@pytest.mark.parametrize("name", ["ssd-00", "sauvegarde-été", "🔥数据存储"])
def test_a_plan_card_and_board_fit_at_any_size(size, shape, name):
    plan_state = PlanState.PENDING if shape == "pending" else PlanState.APPROVED
    board = sized_board(size, FIT_STATES[shape], name, plan_state)
    _, body = plan_cards.plan_message(board)
    assert_fits(body)
    shown = json.dumps(body, ensure_ascii=False)
    lines = shown.count(f"`{name}-")
    if lines < size + 9:  # never cut silently: how many are not shown, and where they are
        assert f"{size + 9 - lines} more line(s) not shown" in shown and "card's thread" in shown
    if plan_state == PlanState.APPROVED:  # the buttons and the counts stay whatever the size
        assert (ids.CANCEL_PLAN_REST in shown) == any(r.state == State.PENDING for r in board.items)
        assert (ids.RETRY in shown) == any(r.can_retry for r in board.items)
        if size == 39 and shape == "mixed":
            listed = shown[shown.index("*Datastores*") :]  # what needs a person first
            assert listed.index(":x: failed") < listed.index("needs attention") < listed.index("replicating")
            assert ids.RETRY in shown
        assert f"of {size} copied" in shown


@settings(max_examples=80, deadline=None)
@given(
    head=st.lists(st.text(min_size=1, max_size=150), max_size=60),
    lines=st.lists(
        st.text(st.characters(blacklist_characters="\n\r"), min_size=1, max_size=4000), max_size=300
    ),
    tail=st.integers(0, 60),
)
def test_fitted_keeps_the_limits_the_head_the_buttons_and_counts_what_it_leaves_out(head, lines, tail):
    heads = [kit.header(t) for t in head]
    buttons = [kit.actions(f"b{n}", kit.button("x", "Retry", str(n))) for n in range(tail)]
    body = kit.fitted(heads, [("*Title*", lines)], buttons, lambda n: f"{n} more: see the thread")
    assert_fits(body)
    kept_heads = [b for b in body if b["type"] == "header"]
    kept_buttons = [b for b in body if b["type"] == "actions"]
    assert kept_heads == heads[: len(kept_heads)] and kept_buttons == buttons[: len(kept_buttons)]
    assert len(kept_buttons) == tail or len(kept_heads) + len(kept_buttons) == kit.MAX_BLOCKS - 1
    texts = [b["text"]["text"] for b in body if b["type"] == "section"]
    shown = sum(t.count("\n") + 1 for t in texts) - (1 if texts else 0)  # the title is not a line
    notes = [b["elements"][0]["text"] for b in body if b["type"] == "context"]
    hidden = int(notes[0].split(" ")[0]) if notes else 0
    assert len(notes) <= 1 and shown + hidden == len(lines)
    if len(heads) + tail < 45 and kit.text_size(heads + buttons) + sum(map(kit.size, lines)) < 9000:
        assert body == [*heads, *body[len(heads) : len(body) - tail], *buttons] and hidden == 0


def test_size_counts_characters_not_bytes_and_an_emoji_twice():
    assert kit.size("été") == 3 and kit.size("🔥") == 2 and kit.size("数据") == 2
    assert kit.text_size([kit.section("é" * 10), kit.context("🔥")]) == 12


def test_the_incident_board_is_summarised_not_cut_silently():
    active = tuple(
        hostile_request(
            "sbg1a", (State.REPLICATING, State.NEEDS_ATTENTION)[n % 2], id=n, filer_name=f"ssd-{n}"
        )
        for n in range(200)
    )
    _, body = cards.board_message(Board(active, 3, 1))
    assert_fits(body)
    shown = json.dumps(body, ensure_ascii=False)
    listed = shown.count("`ssd-")
    assert listed < 200 and f"{200 - listed} more" in shown and "/pcc list" in shown
    assert shown.index(":warning: needs attention") < shown.index(":arrows_counterclockwise: replicating")
    assert "100 replicating" in shown and "100 needs attention" in shown  # the counts cover them all


def test_a_backtick_in_a_name_stays_inside_its_code_span():
    _, body = cards.card_message(hostile_request("ssd`x` and `more"))
    filer = next(
        line for b in body for line in mrkdwn_texts(b) for line in line.split("\n") if "*Filer*" in line
    )
    assert filer.count("`") == 2 and "`ssd\u02cbx\u02cb and \u02cbmore`" in filer


def test_a_long_list_says_how_many_lines_it_does_not_show():
    requests = [
        hostile_request("sbg1a", State.REPLICATING, id=n, filer_name=f"ssd-{n:06d}") for n in range(120)
    ]
    _, body = listings.list_message(requests, 500)
    assert_fits(body)
    shown = json.dumps(body, ensure_ascii=False)
    listed = shown.count("`ssd-")
    assert listed == 120 or f"{120 - listed} more line(s) not shown" in shown
    assert "The 120 most recent of 500 requests" in shown


def test_the_app_home_shows_every_row_it_promises():
    requests = [hostile_request("sbg1a", id=n, filer_name=f"ssd-{n:03d}-" + "x" * 200) for n in range(15)]
    view = listings.home_view(requests, requests, requests)
    assert View(**view).to_dict()["type"] == "home" and len(view["blocks"]) <= 100
    assert json.dumps(view["blocks"]).count("`ssd-") == 45  # 15 rows in each of three sections, none clipped


def test_a_plans_list_in_its_thread_names_every_datastore_in_replies_that_fit():
    plan = sized_board(400, FIT_STATES["pending"], "sauvegarde-été", PlanState.PENDING).plan
    replies = messages.plan_list(plan)
    assert len(replies) > 1 and all(len(r) <= messages.PLAN_LIST_REPLY + 80 for r in replies)
    assert all(f"part {n} of {len(replies)}" in r for n, r in enumerate(replies, start=1))
    listed = [line for r in replies for line in r.split("\n") if line.startswith("• ")]
    assert len(listed) == 400 + 9  # every datastore and every one left out, once
