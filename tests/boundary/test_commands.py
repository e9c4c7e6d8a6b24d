import pytest

from bot.adapters.slack.button_values import parse_request_id
from bot.adapters.slack.grammar import (
    Cancel,
    Help,
    ListFilers,
    ListRequests,
    Migrate,
    Status,
    parse,
)
from bot.domain import MigrationSpec, UsageError


def test_every_subcommand_parses():
    assert parse("") == Help()
    assert parse("help") == Help()
    assert parse("filers pcc-192-0-2-15") == ListFilers("pcc-192-0-2-15", None)
    assert parse("  FILERS pcc-1 1337 ") == ListFilers("pcc-1", 1337)
    assert parse("filers pcc-1 1337 page 3") == ListFilers("pcc-1", 1337, page=3)
    assert parse("filers pcc-1 csv") == ListFilers("pcc-1", None, as_csv=True)
    assert parse("migrate pcc-a 1 2 pcc-b 3") == Migrate(MigrationSpec("pcc-a", 1, 2, "pcc-b", 3))
    assert parse("list") == ListRequests()
    assert parse("status #7") == Status(7)
    assert parse("cancel 7") == Cancel(7)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frobnicate", "unknown subcommand 'frobnicate'"),
        ("filers", "`filers` takes 1 to 4 argument(s), got 0"),
        ("filers pcc-1 1337 page 0", "pages start at 1"),
        ("filers pcc-1 1337 pdf", "'pdf' is not `page <n>` or `csv`"),
        ("migrate a b", "`migrate` takes 5 (or none, to open a form) argument(s), got 2"),
        ("migrate pcc-a x 2 pcc-b 3", "sourceDatacenterId 'x' is not a number"),
        ("migrate pcc-a 1 2 pcc-b -3", "destDatacenterId '-3' is not a number"),
        ("status seven", "requestId 'seven' is not a number"),
        ("filers pcc;rm${IFS}-rf", "is not a PCC service name"),
        ("filers ';DROP_TABLE_requests;--", "is not a PCC service name"),
        ("filers pcc-é", "is not a PCC service name"),
        ("list extra", "`list` takes 0 argument(s), got 1"),
        ("x" * 600, "the limit is 500"),
    ],
)
def test_bad_input_names_the_problem(text, message):
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert message in str(caught.value)


def test_odd_unicode_is_echoed_safely():
    with pytest.raises(UsageError) as caught:
        parse("zzz\u202e\u0000" + "🔥" * 60)
    text = str(caught.value)
    assert "\u0000" not in text and "\u202e" not in text
    assert "…" in text


def test_usage_errors_show_the_grammar():
    with pytest.raises(UsageError, match=r"Usage: `/pcc migrate \[<sourceService>"):
        parse("migrate 1")


@pytest.mark.parametrize("value", [None, "", "abc", "1; DROP", 5])
def test_button_values_must_be_request_ids(value):
    with pytest.raises(UsageError):
        parse_request_id(value)
    assert parse_request_id("42") == 42


def test_audit_takes_an_optional_number_of_days():
    from bot.adapters.slack.grammar import Audit

    assert parse("audit") == Audit(30)
    assert parse("audit 7") == Audit(7)
    with pytest.raises(UsageError, match="days must be between 1 and 3650"):
        parse("audit 0")


def test_service_names_are_matched_regardless_of_case_as_ovhcloud_does():
    from bot.adapters.slack.grammar import FilePlan, ListFilers, parse

    assert parse("filers PCC-192-0-2-15") == ListFilers("pcc-192-0-2-15", None)
    assert parse("plan PCC-192-0-2-15 1337 Pcc-192-0-2-50 1515 1234") == FilePlan(
        "pcc-192-0-2-15", 1337, "pcc-192-0-2-50", 1515, (1234,)
    )
