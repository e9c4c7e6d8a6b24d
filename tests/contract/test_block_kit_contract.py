"""Contract: every Block Kit payload the bot builds, fed hostile values, is valid for slack_sdk's Block
Kit models, and no text from the API or from people can ping a channel, mention someone or break a
message."""

import re
from dataclasses import replace

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.adapters.slack import answers, cards, forms, ids, kit, listings, plan_cards
from bot.adapters.slack.reason_form import Asked, reason_modal
from bot.domain import (
    DECIDE,
    MIGRATION,
    RELAUNCH,
    REMOVAL,
    AuditEntry,
    Datacenter,
    DatacenterFilers,
    Filer,
    FilerListing,
    LeftOut,
    OvhApiError,
    Pause,
    Pcc,
    Plan,
    PlanItem,
    PlanState,
    State,
    Task,
)
from bot.domain.operations import with_buttons
from bot.support import i18n
from bot.support.mrkdwn import esc
from bot.usecases import messages
from bot.usecases.ports import Board, PlanBoard
from tests.contract.hostile import HOSTILE, NOW, RAW_MARKUP, hostile_filing, hostile_request, mrkdwn_texts


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
        answers.help_message(value),
        answers.help_message(value, "fr"),
    ]
    for locale in ("en", "fr"):  # French is longer: the limits hold in it too
        for state in State:
            request = hostile_request(value, state)
            built += [cards.card_message(request, locale), cards.status_message(request, audit, locale)]
        built.append(listings.list_message([hostile_request(value)] * 20, locale=locale))
        active = tuple(hostile_request(value, State.REPLICATING) for _ in range(3))
        built.append(cards.board_message(Board(active, 1, 2), locale))
        paused = Pause("UBOB", value, NOW).words(markup=True).render(locale)  # the reason as typed, escaped
        built.append(cards.card_message(hostile_request(value), locale, paused))
        built += [answers.paused_message(Pause("UBOB", value, NOW), locale)]
        built.append(answers.resumed_message(None, 3, locale))
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
    for locale in ("en", "fr"):
        for kept in texts:  # as the outbox renders a stored notice, in the channel's language
            text = i18n.shown(kept, locale)
            for button in (*with_buttons(), DECIDE):
                built.append((text, cards.notice_blocks(text, button, request, locale)))
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


#: The date tokens pcc-bot writes itself (a moment, its UTC fallback): the only `<!` it may send.
OUR_DATE_TOKEN = re.compile(r"<!date\^[0-9]+\^(\{date_short_pretty\} )?\{time\}\|[0-9-]{10} [0-9:]{5} UTC>")


def ours_left_out(shown: str) -> str:
    return OUR_DATE_TOKEN.sub("", shown)


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v[:12]))
def test_every_builder_is_valid_block_kit_and_escapes_data(value):
    for text, body in messages_for(value):
        assert len(body) <= 50 and kit.text_size(body) <= kit.MAX_MESSAGE_TEXT  # it fits, whatever the data
        for block in body:
            assert Block.parse(block).to_dict() == block  # valid for slack_sdk's models, nothing dropped
        for shown in [text, *mrkdwn_texts(body)]:  # the fallback text is mrkdwn too
            assert not RAW_MARKUP.search(ours_left_out(shown)), shown[:200]
            assert " & b" not in shown  # a bare & would start an entity
            assert "`" not in value or "ssd`" not in shown  # a backtick in data never reaches Slack


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v[:12]))
def test_views_are_valid(value):
    request = hostile_request(value)
    for view in (
        listings.home_view([request] * 20, [request] * 20, [request] * 20),
        listings.home_view([request] * 20, [request] * 20, [request] * 20, locale="fr"),
        forms.migrate_form("COPS"),
        forms.migrate_form("COPS", "fr"),
        forms.restore_form("COPS", "fr"),
        forms.form_note(esc(value)),  # its text is mrkdwn: the caller escapes data
        reason_modal(
            Asked(ids.REJECT, 7, "https://hooks.slack.com/x", None), required=True, what="Reject #7"
        ),
        reason_modal(Asked(ids.REMOVE_COPY, 7, None, f"restore-{value}"), required=True, what="Remove #7"),
    ):
        assert View(**view).to_dict()["type"] == view["type"]
        for shown in mrkdwn_texts(view["blocks"]):
            assert not RAW_MARKUP.search(ours_left_out(shown)), shown[:200]


def test_the_help_shows_its_placeholders_as_text():
    for locale in ("en", "fr"):
        text, _ = answers.help_message("sbg1a", locale)
        assert "&lt;service&gt;" in text and "<service>" not in text
