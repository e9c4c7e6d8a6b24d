"""The approval policy at the process boundary: a malformed PCC_POLICY stops every subcommand at start,
one line per problem, exit 2, never a traceback."""

import os
import subprocess
import sys

import pytest

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OVH_", "PCC_", "PORT", "LOG_"))}

BROKEN = """
[[rule]]
name = "health data"
match = { certification = ["hds", "iso27001"] }
approvals = "two"
approvers = ["bob", "S0SECURITY"]
reason = { approve = "please" }
"""


@pytest.mark.parametrize("command", [("doctor",), ("serve", "--http")])
def test_a_malformed_policy_is_refused_at_start_one_line_per_problem(tmp_path, command):
    (tmp_path / "policy.toml").write_text(BROKEN)
    env = {**CLEAN, "PCC_POLICY": str(tmp_path / "policy.toml")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr + done.stdout, done.stderr
    about = [line for line in done.stderr.splitlines() if "PCC_POLICY" in line]
    assert len(about) == 4, done.stderr
    for fragment in ("iso27001", "approvals", "'bob'", "please"):
        assert sum(fragment in line for line in about) == 1, fragment


def test_an_unparsable_policy_is_one_line(tmp_path):
    (tmp_path / "policy.toml").write_text("[[rule]\napprovals = 2\n")
    env = {**CLEAN, "PCC_POLICY": str(tmp_path / "policy.toml")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (about,) = [line for line in done.stderr.splitlines() if "PCC_POLICY" in line]
    assert "not valid TOML" in about
