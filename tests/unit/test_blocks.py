import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.slack import cards, ids, kit, listings
from bot.adapters.slack.dates import fallbacks
from bot.domain import MigrationRequest, MigrationSpec, State


def request(**changes: Any) -> MigrationRequest:
    base: dict[str, Any] = dict(
        id=7,
        spec=MigrationSpec("pcc-a", 1, 1234, "pcc-b", 2),
        requester="UALICE",
        channel="COPS",
        state=State.PENDING,
        created_at=datetime(2026, 3, 12, 9, 0, tzinfo=UTC),
        expires_at=datetime(2026, 3, 13, 9, 0, tzinfo=UTC),
        filer_name="ssd-001234",
        filer_size="3 TB",
        vm_total=12,
        source_zone="sbg1a",
        dest_zone="rbx2a",
        api_call="POST /x/linkFilerFromSbg",
        route="linkFilerFromSbg",
    )
    base.update(changes)
    return MigrationRequest(**base)


def test_pending_card_has_confirmed_approve_and_reject():
    text, body = cards.card_message(request())
    assert "#7" in text and "waiting for approval" in text  # the fallback text in the channel's words
    actions = body[-1]
    assert [e["action_id"] for e in actions["elements"]] == [ids.APPROVE, ids.REJECT]
    assert all(e["value"] == "7" for e in actions["elements"])
    assert "POST /x/linkFilerFromSbg" in actions["elements"][0]["confirm"]["text"]["text"]
    progress = body[2]["elements"][0]["text"]  # each time a date token, its UTC text the fallback
    assert "expires <!date^1773392400^{date_short_pretty} {time}|2026-03-13 09:00 UTC>" in progress


def test_decided_cards_have_no_buttons_and_say_who():
    decided = request(
        state=State.REPLICATING,
        decided_by="UBOB",
        decided_at=datetime(2026, 3, 12, 9, 5, tzinfo=UTC),
        task_id=90001,
        task_state="doing",
        progress=42,
    )
    _, body = cards.card_message(decided)
    assert all(b["type"] != "actions" for b in body)
    status = body[2]["elements"][0]["text"]
    assert "approved by <@UBOB> at 2026-03-12 09:05 UTC" in fallbacks(status)
    assert "OVHcloud task 90001" in status and "running (`doing`) · `████▎░░░░░` 42%" in status
    _, rejected = cards.card_message(
        request(state=State.REJECTED, decided_by="UBOB", decided_at=datetime(2026, 3, 12, tzinfo=UTC))
    )
    assert "rejected by <@UBOB>" in rejected[2]["elements"][0]["text"]


def test_every_state_has_a_label():
    assert set(cards.STATE_LABELS) == set(State)


def test_long_texts_are_clipped_to_slack_limits():
    block = kit.section("x" * 5000)
    assert len(block["text"]["text"]) <= 3000


def test_list_message_shows_each_request():
    _, body = listings.list_message(
        [request(), request(id=8, state=State.DONE, created_at=datetime.now(UTC) - timedelta(1))]
    )
    assert "#7" in body[0]["text"]["text"] and "#8" in body[0]["text"]["text"]
    assert listings.list_message([])[0].startswith("No requests yet")


def test_the_datastore_csv_starts_with_a_byte_order_mark_and_keeps_raw_numbers():
    from bot.usecases.exports import filers_csv
    from tests.fakes import FakeGateway

    text = filers_csv(FakeGateway().filer_listing("pcc-src", None))
    assert text.startswith("\ufeffdatacenter,filer_id,name,")
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert "," in text and not any(" Go" in row or "\u202f" in row for row in text.splitlines())


def test_audit_csv_quotes_cells_a_spreadsheet_would_run():
    from bot.domain import AuditEntry
    from bot.usecases.exports import audit_csv

    entry = AuditEntry(
        request_id=7,
        at=datetime(2026, 3, 12, tzinfo=UTC),
        actor="=HYPERLINK(1)",
        action="approved",
        from_state="pending",
        to_state="approved",
        detail="+cmd",
    )
    text = audit_csv([(entry, request())])
    header, line = text.splitlines()
    assert header.startswith("\ufeffrequest_id,at_utc,actor,action")  # UTF-8 for every spreadsheet
    assert ",2026-03-12T00:00:00+00:00," in line  # ISO 8601, with its offset
    assert "'=HYPERLINK(1)" in line and "'+cmd" in line and line.endswith(",pending,")  # no plan


def test_audit_csv_has_the_pause_and_resume_lines_without_a_request():
    import csv
    import io

    from bot.domain import AuditEntry
    from bot.usecases.exports import COLUMNS, audit_csv

    at = datetime(2026, 3, 12, tzinfo=UTC)
    paused = AuditEntry(None, at, "UBOB", "paused", None, None, "=IAM rights")
    rows = list(csv.reader(io.StringIO(audit_csv([(paused, None), (paused, request())]).lstrip("\ufeff"))))
    assert all(len(row) == len(COLUMNS) for row in rows)
    assert rows[1][:4] == ["", "2026-03-12T00:00:00+00:00", "UBOB", "paused"] and rows[1][6] == "'=IAM rights"
    assert set(rows[1][8:]) == {""} and rows[2][0] != ""


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("=1+1", "'=1+1"),
        (" =1+1", " '=1+1"),
        ("\n=1+1", "\n'=1+1"),
        ("\uff1dcmd()", "'\uff1dcmd()"),
        ("name;=cmd()", "name;'=cmd()"),
        ("a\x00=b", "a=b"),  # NUL dropped; `=` mid-word starts nothing
        ("ssd-001234", "ssd-001234"),
        ("\u00a0=cmd()", "\u00a0'=cmd()"),  # a no-break space before the sign (issue 24)
        ("\u3000@SUM(A1)", "\u3000'@SUM(A1)"),  # any Unicode blank
        ("name;\u2003-1", "name;\u2003'-1"),
        ("\u200b\ufeff+1", "\u200b\ufeff'+1"),  # zero-width characters some spreadsheets drop
    ],
)
def test_every_csv_cell_a_spreadsheet_would_run_is_defused(raw, safe):
    from bot.usecases.exports import csv_text

    (row,) = list(csv.reader(io.StringIO(csv_text([[raw, "x"]]))))
    assert row == [safe, "x"]
