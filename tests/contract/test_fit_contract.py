"""Messages that fit: every card, board and reply under Slack's limits at any size (kit.fitted)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.adapters.slack import cards, ids, kit, listings, plan_cards
from bot.domain import (
    LeftOut,
    Plan,
    PlanItem,
    PlanState,
    State,
)
from bot.support.i18n import shown
from bot.usecases import plan_messages
from bot.usecases.ports import Board, PlanBoard
from tests.contract.hostile import NOW, hostile_filing, hostile_request, mrkdwn_texts

# Messages that fit: every card and board under Slack's limits at any size (kit.fitted).
FIT_STATES = {
    "pending": (State.PENDING,),
    "copying": (State.REPLICATING,),
    "mixed": (State.FAILED, State.NEEDS_ATTENTION, State.REPLICATING, State.PENDING, State.DONE),
}


#: What a board says while pcc-bot is paused, with the longest reason `/pcc pause` takes.
PAUSED = "paused by <@UBOB> since 14:05 UTC: " + "é" * 490


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
    _, paused = plan_cards.plan_message(replace(board, paused=PAUSED))  # said first, and it still fits
    assert_fits(paused)
    assert PAUSED in json.dumps(paused, ensure_ascii=False)
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
    _, body = cards.board_message(Board(active, 3, 1, paused=PAUSED))
    assert_fits(body)
    assert PAUSED in json.dumps(body, ensure_ascii=False)
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
    replies = [shown(r, "en") for r in plan_messages.plan_list(plan)]  # stored untranslated, shown here
    assert len(replies) > 1 and all(len(r) <= plan_messages.PLAN_LIST_REPLY + 80 for r in replies)
    assert all(f"part {n} of {len(replies)}" in r for n, r in enumerate(replies, start=1))
    listed = [line for r in replies for line in r.split("\n") if line.startswith("• ")]
    assert len(listed) == 400 + 9  # every datastore and every one left out, once
