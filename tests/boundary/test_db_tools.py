"""`pcc-bot db …` reads what a running bot wrote, through sqlite-utils: a call in doubt, a dead notice,
one request's audit, NDJSON, and a snapshot taken while the bot runs; mistakes get one line."""

from __future__ import annotations

import json
import sqlite3
import stat

import pytest

from bot.adapters.slack import ids
from bot.cli import main
from tests.helpers import MIGRATE, POST_ROUTE, file_request


@pytest.fixture
def db_cli(config, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env read from elsewhere
    monkeypatch.delenv("PCC_DATABASE_URL", raising=False)
    monkeypatch.setenv("PCC_DB_PATH", config.db_path)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["db", *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_the_db_commands_read_what_the_bot_wrote(bot, simulator, slack, db_cli, tmp_path):
    simulator.sim.inject("POST", POST_ROUTE, "drop")  # did it run? in doubt
    doubtful = file_request(bot)
    bot.click(ids.APPROVE, str(doubtful), user="UBOB")
    bot.settle()
    slack.standin.refused_channels["CPRIVATE"] = "not_in_channel"
    bot.command(MIGRATE.replace("1234", "1235"), user="UALICE", channel="CPRIVATE")
    bot.settle()
    bot.runtime.service.deliver_notices()

    code, out, _ = db_cli("in-doubt")
    (header, row) = out.splitlines()
    assert (
        code == 0
        and header.split()[:2] == ["id", "state"]
        and row.split()[:2] == [str(doubtful), "needs_attention"]
    )
    code, out, _ = db_cli("dead-notices")
    assert code == 0 and "CPRIVATE" in out and "not_in_channel" in out
    code, out, _ = db_cli("audit", str(doubtful))
    actions = [line.split()[1:3] for line in out.splitlines()[1:]]
    assert code == 0 and ["UALICE", "requested"] in actions and ["UBOB", "approved"] in actions
    code, out, _ = db_cli("export", "audit")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {line["request_id"] for line in lines} == {doubtful, doubtful + 1}
    assert db_cli("export", "audit", "--since", "2999-01-01")[1] == ""

    target = tmp_path / "snapshot.db"
    code, out, _ = db_cli("snapshot", str(target))
    assert code == 0 and str(target) in out and stat.S_IMODE(target.stat().st_mode) == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM requests").fetchone()[0] == 2
    code, _, err = db_cli("snapshot", str(target))
    assert code == 2 and err == f"pcc-bot: {target} exists: give a new file name\n"


def test_db_mistakes_are_one_line(bot, db_cli, monkeypatch, tmp_path):
    assert db_cli("audit", "999")[2] == "pcc-bot: request #999 not found\n"
    code, _, err = db_cli("export", "requests", "--since", "2026-01-01")
    assert code == 2 and err == "pcc-bot: --since applies to the audit only\n"
    monkeypatch.setenv("PCC_DB_PATH", str(tmp_path / "nowhere.db"))
    assert "no database at" in db_cli("in-doubt")[2]
    monkeypatch.setenv("PCC_DATABASE_URL", "postgresql://pcc@localhost/pcc")
    code, _, err = db_cli("in-doubt")
    assert code == 2 and err.count("\n") == 1 and "psql" in err
