"""What the pause's boundary tests share: a plan of 40 (or a few), the simulator's call log that lets a
person act while a given POST is in flight, and reads of what Slack and the simulator were sent."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.demo.simulator import large_pcc
from bot.domain import State
from bot.ops.config import Config
from tests.helpers import INCIDENT, POST_ROUTE, RunningBot

BIG = "pcc-192-0-2-99"
CUT_AT = 10  # POSTs sent when the pause comes
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture(name="config")
def roomy(config: Config) -> Config:
    """The bot's configuration with room in the OVHcloud budget, for the modules that import this
    fixture (their tests are not about pacing): conftest's bot, bots and timed_bot start on it."""
    return replace(config, ovh_rate=600)


def now() -> datetime:
    return datetime.now(UTC)


class AfterPost(list):  # type: ignore[type-arg]
    """The simulator's call log, calling ``hook`` once when the ``at``-th POST has run (before its
    answer leaves): what a person does while that POST is in flight."""

    def __init__(self, at: int, hook: Callable[[], None]) -> None:
        super().__init__()
        self._at, self._hook = at, hook

    def append(self, call) -> None:
        super().append(call)
        posts = [c for c in self if c.method == "POST" and re.search(POST_ROUTE, c.path)]
        if call.method == "POST" and len(posts) == self._at:
            self._hook()


def posted(simulator) -> list[int]:
    return [json.loads(c.body)["filerId"] for c in simulator.sim.calls_to("POST", POST_ROUTE)]


def plan_boards(bot: RunningBot) -> list[str]:
    """Each plan card posted or edited, in order."""
    calls = [c for c in bot.slack.standin.calls if c.method in ("chat.postMessage", "chat.update")]
    return [
        json.dumps(c.args.get("blocks"), ensure_ascii=False)
        for c in calls
        if c.status == 200 and "Plan #" in str(c.args.get("text")) and c.args.get("blocks")
    ]


def room_texts(bot: RunningBot) -> list[str]:
    posted = bot.slack.standin.calls_to("chat.postMessage")
    return [str(c.args["text"]) for c in posted if c.args["channel"] == INCIDENT]


def until(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def file_plan_of_40(bot: RunningBot, simulator) -> int:
    simulator.sim.inventory[BIG] = large_pcc(40)
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
    bot.settle()
    (plan,) = bot.runtime.repo.plans.recent(1)
    assert len(plan.items) == 40
    return plan.id


def queued(bot: RunningBot, plan_id: int) -> int:
    return sum(i.state == State.PENDING for i in bot.runtime.repo.plans.items(plan_id))


def pause_after(bot: RunningBot, simulator, posts: int) -> None:
    """`/pcc pause` by an approver while the ``posts``-th POST is in flight."""

    def pause_now() -> None:
        threading.Thread(target=bot.command, args=("pause",), kwargs={"user": "UBOB"}).start()
        until(lambda: bot.runtime.repo.pause.current() is not None)

    simulator.sim.calls = AfterPost(posts, pause_now)


def small_plan(bot: RunningBot, simulator, filers: int, hds: str | None = None) -> int:
    simulator.sim.inventory[BIG] = {**large_pcc(filers), "hds": hds}
    bot.command(f"plan {BIG} 2001 pcc-192-0-2-50 1515")
    bot.settle()
    return bot.runtime.repo.plans.recent(1)[0].id
