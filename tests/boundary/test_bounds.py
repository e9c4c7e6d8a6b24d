"""Settings counted in seconds have an upper bound: an absurd value is one line at start, exit 2, and
never an OverflowError when a date is computed from it (issue 24, Low 9)."""

import pytest

from tests.boundary.test_first_hour import CLEAN, one_line, pcc_bot


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("PCC_APPROVAL_TTL", "99999999999999", "PCC_APPROVAL_TTL must be a whole number ≥ 60 and ≤ 2592000"),
        ("PCC_APPROVAL_TTL", "2592001", "PCC_APPROVAL_TTL must be a whole number ≥ 60 and ≤ 2592000"),
        ("PCC_STALL_SECONDS", "9" * 5000, "PCC_STALL_SECONDS must be a whole number ≥ 60 and ≤ 604800"),
        ("PCC_POLL_SECONDS", "²", "PCC_POLL_SECONDS must be a whole number ≥ 1 and ≤ 3600"),
        ("PCC_INVENTORY_TTL", "999999999999", "PCC_INVENTORY_TTL must be a whole number ≥ 0 and ≤ 86400"),
    ],
)
def test_a_seconds_setting_past_its_bound_is_one_line_and_exit_2(tmp_path, variable, value, said):
    done = pcc_bot("serve", "--http", env={**CLEAN, variable: value}, cwd=tmp_path)
    assert said in one_line(done) and done.returncode == 2
    assert "OverflowError" not in done.stderr and "ValueError" not in done.stderr
