"""pcc-bot as a real process: `serve --http` stops cleanly on SIGTERM; the console tells the story."""

import os
import re
import signal
import subprocess
import sys

from tests.helpers import free_port, process_env, serve_http


def console(
    script: str, cwd, *, speed: int, timeout: float, options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`pcc-bot console` fed ``script``, with none of the environment's Slack, OVHcloud or pcc-bot
    variables (the built-in simulator, as a newcomer gets it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OVH_", "PCC_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", "--speed", str(speed), *options],
        input=script,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def console_said(lines: list[str], cwd, *, speed: int) -> str:
    """What `pcc-bot console` printed for these typed lines, once it ended cleanly (no traceback)."""
    proc = console("\n".join(lines) + "\n", cwd, speed=speed, timeout=90)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def test_serve_http_answers_healthz_and_stops_on_sigterm(tmp_path, simulator, slack):
    port = free_port()
    env = process_env(
        simulator,
        slack,
        str(tmp_path / "bot.db"),
        SLACK_BOT_TOKEN="xoxb-test-secret-token",
        SLACK_SIGNING_SECRET="shh",
    )
    proc = serve_http(env, tmp_path, port, capture=True)
    try:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "stopped cleanly" in output
    assert "xoxb-test-secret-token" not in output


def test_serve_without_configuration_lists_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OVH_", "PCC_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--http"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "PCC_APPROVERS"):
        assert name in proc.stderr
    assert "Traceback" not in proc.stderr


def test_console_tells_the_whole_story(tmp_path):
    script = (
        "\n".join(
            [
                "filers pcc-192-0-2-15 1337",
                "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515",
                "approve 1",
                "as carol",
                "approve 1",
                "wait 8",
                "status 1",
                "bogus",
            ]
        )
        + "\n"
    )
    proc = console(script, tmp_path, speed=20000, timeout=60)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "ssd-001234" in out and "12 VM(s)" in out
    assert "you filed request #1 yourself" in out
    assert "approved by @carol" in out
    assert "restore-001234" in out and "[#incident]" in out
    assert "replication done (replicating → done)" in out
    assert "unknown subcommand 'bogus'" in out
    assert "Traceback" not in proc.stderr


def test_the_console_shows_bars_a_plans_board_files_and_usage(tmp_path):
    out = console_said(
        [
            "migrate pcc-192-0-2-15 1337 1234 pcc-192-0-2-50 1515",
            "plan pcc-192-0-2-15 1338 pcc-192-0-2-50 1515",
            "as carol",
            "approve 1",
            "approve-plan 1",
            "wait 3",
            "approve",
            "filers pcc-192-0-2-15 1337 csv",
            "wait 18",
        ],
        tmp_path,
        speed=1440,
    )
    # a copy that moved: bar, end (the date token's UTC fallback, as a terminal shows it)
    assert re.search(r"`[█▏▎▍▌▋▊▉]+░*` \d+% · ends around \d{4}-\d\d-\d\d \d\d:\d\d UTC", out)
    assert re.search(r"`[█▏▎▍▌▋▊▉░]{10}` \d+% · \d of 2 copied", out)  # the plan's overall bar
    board = out[out.rindex("== Plan #1") :]
    assert board.index("ssd-001240") < board.index("ssd-001241")  # the failed one first
    assert "Plan #1 ended: 1 copied, 1 failed" in out
    assert "usage: approve N" in out
    assert "[a file, in your direct messages]" in out and "ssd-001234" in out


def test_the_console_speaks_french_with_locale_fr(tmp_path):
    proc = console("help\nfilers\nbogus\n", tmp_path, speed=20000, timeout=60, options=("--locale", "fr"))
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "*pcc-bot* : copie les datastores (filers)" in out and "ex. `/pcc filers" in out
    assert "`filers` attend de 1 à 4 argument(s), 0 reçu. Syntaxe : `/pcc filers" in out
    assert "sous-commande 'bogus' inconnue" in out
    assert "copy datastores" not in out and "Usage:" not in out
