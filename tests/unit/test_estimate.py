"""The expected end of a copy, from made-up progress readings: steady, accelerating, stalled,
relaunched (going backwards), and the readings the poller keeps."""

from datetime import UTC, datetime, timedelta

from bot.domain.estimate import KEPT_READINGS, estimate_end, remember

T0 = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_steady_copy_ends_when_its_pace_says():
    readings = [(at(m), m // 2) for m in range(0, 81, 10)]  # 5 % every 10 minutes: 40 % at 80 min
    found = estimate_end(readings, now=at(85))
    assert found.status == "estimate" and found.end == at(200)  # 60 % left at 0.5 %/min
    assert found.left(at(85)) == timedelta(minutes=115)


def test_an_accelerating_copy_is_judged_on_its_recent_pace_not_its_slow_start():
    slow = [(at(m), m // 10) for m in range(0, 121, 30)]  # 1 %/10 min for two hours: 12 % at 120
    fast = [(at(120 + m), 12 + m) for m in range(10, 61, 10)]  # then 1 %/min: 72 % at 180
    found = estimate_end(slow + fast, now=at(181))
    assert found.end is not None and at(205) <= found.end <= at(215)  # 28 % at about 1 %/min
    since_start = at(180) + timedelta(minutes=28 * 180 / 72)
    assert found.end < since_start


def test_a_stalled_copy_gets_no_estimate():
    readings = [(at(0), 10), (at(10), 20), (at(20), 30)]
    assert estimate_end(readings, now=at(25)).status == "estimate"
    assert estimate_end(readings, now=at(200)).status == "stalled"
    assert estimate_end(readings, now=at(200)).end is None


def test_a_relaunched_copy_forgets_the_run_before_it_and_estimates_again_once_it_moves():
    before = [(at(0), 10), (at(10), 40), (at(20), 50)]
    relaunched = [*before, (at(30), 0)]
    assert estimate_end(relaunched, now=at(31)).status == "estimating"
    moving = [*relaunched, (at(40), 20)]
    found = estimate_end(moving, now=at(41))
    assert found.end == at(80)  # 2 %/min from 0 at 30 min: 80 % left at 40 min


def test_estimating_until_two_readings_differ():
    assert estimate_end([], now=T0).status == "estimating"
    assert estimate_end([(at(0), 0)], now=at(5)).status == "estimating"


def test_only_changes_are_remembered_and_only_the_newest():
    kept: tuple[tuple[datetime, int], ...] = ()
    for m in range(40):
        kept = remember(kept, at(m), m // 2)
    assert len(kept) == KEPT_READINGS and kept[-1] == (at(38), 19)
    assert remember(kept, at(50), 19) == kept and remember(kept, at(50), None) == kept
