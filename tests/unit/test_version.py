"""One version, everywhere: pyproject.toml, `pcc-bot --version`, doctor, the App Home, CHANGELOG.md."""

import io
import re
import tomllib
from pathlib import Path

import pytest

from bot.adapters.slack import listings
from bot.cli import main
from bot.ops import doctor
from bot.support.version import version

ROOT = Path(__file__).resolve().parents[2]


def declared() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def test_the_installed_version_is_the_declared_one():
    assert version() == declared() == "0.3.2"  # `make` reinstalls when pyproject.toml changes


def test_pcc_bot_version_prints_it(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"pcc-bot {declared()}"


def test_doctor_and_the_app_home_say_it():
    out = io.StringIO()
    doctor.render([doctor.Check("Configuration", doctor.OK, "every required variable is set")], out)
    assert out.getvalue().splitlines()[0] == f"pcc-bot {declared()}"
    footer = listings.home_view([], [], [])["blocks"][-1]
    assert f"pcc-bot {declared()}" in str(footer)


def test_the_changelog_opens_with_this_release():
    text = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, re.M)
    assert releases and releases[0] == declared()


def test_the_host_help_says_what_the_public_listener_serves(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    host = text[text.rindex("--host HOST") :].split("--port")[0]
    assert "/healthz" in host and "/slack/events" in host
    assert "/readyz and /metrics listen on PCC_OPS_BIND" in host
