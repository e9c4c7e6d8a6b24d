"""Adaptive polling: within the budget whatever the number of tasks, and completions seen early."""

import random
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.domain.polling import PollPlanner

START = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
PERIOD = timedelta(seconds=60)


def progress_at(start, duration, now):
    return min(100, int((now - start).total_seconds() * 100 / duration.total_seconds()))


def simulate(tasks, budget, minutes, tick=timedelta(seconds=5)):
    """Run the planner over tasks {key: (start, duration)}; returns calls per minute and notice delays."""
    planner = PollPlanner(PERIOD, budget, START)
    now, end = START, START + timedelta(minutes=minutes)
    calls_per_minute: Counter[int] = Counter()
    delays = []
    active = dict(tasks)
    while now < end:
        for key in planner.due(sorted(active), now):
            calls_per_minute[int((now - START).total_seconds() // 60)] += 1
            start, duration = active[key]
            progress = progress_at(start, duration, now)
            if progress >= 100:
                if start + duration > START:  # tasks that ended before the run say nothing
                    delays.append((now - (start + duration)).total_seconds())
                del active[key]
            else:
                planner.observed(key, progress, now)
        now += tick
    return calls_per_minute, delays


def test_a_thousand_tasks_never_exceed_the_budget():
    rng = random.Random(7)
    tasks = {
        k: (START - timedelta(minutes=rng.randint(0, 200)), timedelta(hours=rng.uniform(1, 4)))
        for k in range(1000)
    }
    calls, delays = simulate(tasks, budget=48, minutes=60)
    assert max(calls.values()) <= 48
    assert sum(calls.values()) <= 48 * 60
    round_robin = 1000 / 48 * 60  # seconds between two polls of one task, polled in turn
    assert len(delays) > 200
    assert statistics.median(delays) < round_robin / 2  # better than polling in turn
    assert max(delays) <= round_robin


def test_with_budget_to_spare_every_completion_is_seen_within_a_period():
    tasks = {k: (START, timedelta(minutes=10 + 7 * k)) for k in range(10)}
    _, delays = simulate(tasks, budget=48, minutes=90)
    assert len(delays) == 10
    assert max(delays) <= PERIOD.total_seconds()
    assert sorted(delays)[len(delays) // 2] <= 20  # near the end, polls come closer together


def test_a_task_near_its_end_is_polled_more_often_than_one_barely_moving():
    planner = PollPlanner(PERIOD, 48, START)
    planner.due(list(range(100)), START)  # 100 tasks in flight: 125 s apart each if polled in turn
    planner.observed(1, 80, START)
    planner.observed(2, 1, START)
    later = START + PERIOD
    near_end = planner.observed(1, 90, later)  # 10 points a minute: a minute left
    stuck = planner.observed(2, 1, later)  # no progress at all
    assert near_end == timedelta(seconds=65)  # just after the expected end
    assert stuck == timedelta(seconds=250)  # twice the round-robin gap
    assert planner.observed(3, 50, later) == timedelta(seconds=125)  # no rate yet: its turn


def test_when_the_budget_is_short_the_most_overdue_go_first():
    planner = PollPlanner(PERIOD, budget_per_minute=4, now=START)
    assert planner.due(list(range(10)), START) == [0, 1, 2, 3]  # the minute's budget
    assert planner.due(list(range(10)), START + timedelta(seconds=30)) == []
    assert planner.due(list(range(10)), START + timedelta(seconds=60)) == [4, 5, 6, 7]
