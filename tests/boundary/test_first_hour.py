"""The first hour: every set-up mistake is one line naming the variable or the cause and the fix, a
non-zero exit, and no traceback; at the process boundary, as a newcomer meets them."""

import os
import socket
import subprocess
import sys

import pytest

from tests.helpers import process_env

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OVH_", "PCC_", "PORT", "LOG_"))}


def pcc_bot(*args: str, env: dict[str, str], cwd, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("PORT", "abc", "PORT must be a whole number"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO"),
        ("SLACK_APP_TOKEN", "bad", "SLACK_APP_TOKEN must be an app-level token starting with xapp-"),
        ("SLACK_BOT_TOKEN", "xoxp-1", "SLACK_BOT_TOKEN must be a bot token starting with xoxb-"),
        ("PCC_ALLOWED_ZONES", "sbg1a", "PCC_ALLOWED_ZONES lists the source zone sbg1a"),
        ("OVH_ENDPOINT", "ovh-xx", "OVH_ENDPOINT must be ovh-eu, ovh-ca, ovh-us"),
        ("PCC_OPS_BIND", "nowhere", "PCC_OPS_BIND must be host:port"),
    ],
)
@pytest.mark.parametrize("command", [("doctor",), ("serve", "--http"), ("console",), ("--help",)])
def test_a_bad_variable_is_one_line_for_every_subcommand(tmp_path, variable, value, said, command):
    done = pcc_bot(*command, env={**CLEAN, variable: value}, cwd=tmp_path)
    if command == ("--help",):  # help never reads the configuration
        assert done.returncode == 0 and "doctor" in done.stdout and "credentials" in done.stdout
        return
    assert said in one_line(done) and done.returncode == 2
    assert "xoxp-1" not in done.stderr and "'bad'" not in done.stderr  # tokens are never echoed


def test_the_env_file_of_the_working_directory_is_the_one_read(tmp_path):
    (tmp_path / ".env").write_text("PORT=abc\n")
    assert "PORT must be a whole number" in one_line(pcc_bot("doctor", env=CLEAN, cwd=tmp_path))


def busy_port() -> tuple[socket.socket, int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder, holder.getsockname()[1]


def test_a_busy_port_is_one_line_naming_the_address(tmp_path, simulator, slack):
    holder, port = busy_port()
    try:
        env = process_env(
            simulator, slack, str(tmp_path / "bot.db"), SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s"
        )
        said = one_line(
            pcc_bot("serve", "--http", "--host", "127.0.0.1", "--port", str(port), env=env, cwd=tmp_path)
        )
        assert f"127.0.0.1:{port}" in said and "the port is taken" in said
        busy_ops = {**env, "PCC_OPS_BIND": f"127.0.0.1:{port}"}
        said = one_line(
            pcc_bot("serve", "--http", "--host", "127.0.0.1", "--port", "0", env=busy_ops, cwd=tmp_path)
        )
        assert f"127.0.0.1:{port}" in said
        said = one_line(pcc_bot("simulator", "--port", str(port), env=CLEAN, cwd=tmp_path))
        assert "the port is taken" in said
    finally:
        holder.close()
    assert "is not a port" in one_line(pcc_bot("simulator", "--port", "70000", env=CLEAN, cwd=tmp_path))


def test_slack_refusing_the_app_token_is_one_line_with_its_code(tmp_path, simulator, slack):
    slack.standin.refused_methods["apps.connections.open"] = "invalid_auth"
    env = process_env(
        simulator, slack, str(tmp_path / "bot.db"), SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1"
    )
    said = one_line(pcc_bot("serve", "--port", "0", env=env, cwd=tmp_path))
    assert "Slack refused the request: invalid_auth: the token is not valid" in said, said


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path, simulator, slack):
    env = process_env(
        simulator,
        slack,
        str(tmp_path / "missing" / "bot.db"),
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
    )
    said = one_line(pcc_bot("serve", "--http", "--port", "0", env=env, cwd=tmp_path))
    assert "cannot open the database" in said and "missing" in said


def test_a_console_speed_that_would_never_move_is_refused(tmp_path):
    assert "--speed must be above 0" in one_line(pcc_bot("console", "--speed", "-5", env=CLEAN, cwd=tmp_path))


def test_a_postgresql_server_that_cannot_be_reached_is_one_line_without_its_password(
    tmp_path, simulator, slack
):
    env = process_env(
        simulator,
        slack,
        str(tmp_path / "bot.db"),
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        PCC_DATABASE_URL="postgresql://pcc:hunter2@127.0.0.1:9/pcc",
    )
    said = one_line(pcc_bot("serve", "--http", "--port", "0", env=env, cwd=tmp_path))
    assert "cannot open the database postgresql://pcc:***@127.0.0.1:9/pcc" in said, said
    assert "hunter2" not in said
    assert not (tmp_path / "bot.db").exists()  # no SQLite file on the side


def test_a_database_url_that_is_not_postgresql_is_refused_by_name(tmp_path):
    env = {**CLEAN, "PCC_DATABASE_URL": "mysql://x@y/z"}
    said = one_line(pcc_bot("doctor", env=env, cwd=tmp_path))
    assert "PCC_DATABASE_URL must be a PostgreSQL URL" in said and "mysql" not in said


def test_made_up_ovhcloud_credentials_stop_serve_before_it_listens(tmp_path, simulator, slack):
    """Well-formed but unknown credentials: one line naming OVHcloud's refusal, exit 2, no secret shown;
    the same bot with the simulator's real credentials gets past that check (it fails later, on a port
    already taken, which proves it went on)."""
    env = process_env(
        simulator, slack, str(tmp_path / "bot.db"), SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s"
    )
    made_up = {**env, "OVH_APPLICATION_KEY": "madeupkey0000001", "OVH_APPLICATION_SECRET": "s3cr3t-made-up"}
    done = pcc_bot("serve", "--http", "--host", "127.0.0.1", "--port", "0", env=made_up, cwd=tmp_path)
    said = one_line(done)
    assert done.returncode == 2
    assert "OVHcloud refused the credentials" in said and "application key is invalid" in said, said
    assert "s3cr3t-made-up" not in said + done.stdout
    assert not (tmp_path / "bot.db").exists()  # stopped before anything was built
    holder, port = busy_port()
    try:
        said = one_line(
            pcc_bot("serve", "--http", "--host", "127.0.0.1", "--port", str(port), env=env, cwd=tmp_path)
        )
    finally:
        holder.close()
    assert "OVHcloud refused" not in said and "the port is taken" in said
