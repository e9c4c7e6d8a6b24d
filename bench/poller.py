"""Bench 3: the poller's calls and delays with 1,000 tasks, per task and with expanded task lists."""

from __future__ import annotations

import copy
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import LATENCY, ROOT, SECRET, Row, credentials, draft, percentile  # noqa: F401
from bot.adapters.ovh.gateway import SignedOvhGateway, make_client
from bot.adapters.sql.repository import SqlRepository
from bot.demo.simulator import (
    REPLICATION_SECONDS,
    Simulator,
    SimulatorServer,
)
from bot.domain import State
from bot.support.window import SlidingWindow
from bot.usecases.ports import Board, Change, MessageRef, Offer, PlanBoard
from bot.usecases.service import PccService
from bot.usecases.settings import ServiceSettings

# ---------------------------------------------------------------- 3. poller with 1,000 tasks


class _Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


class _QuietChat:
    """Notices accepted at once, counted: this figure is about the OVHcloud side."""

    def __init__(self) -> None:
        self.sent = 0

    def post_card(self, request: object, paused: str = "") -> MessageRef:
        self.sent += 1
        return MessageRef("COPS", f"1.{self.sent}")

    def update_card(self, request: object, paused: str = "") -> None:
        pass

    def upload_private(self, user: str, filename: str, content: str, comment: str) -> None:
        pass

    def post_board(self, channel: str, board: Board) -> MessageRef:
        return MessageRef(channel, "3.1")

    def update_board(self, ref: MessageRef, board: Board) -> None:
        pass

    def post_plan(self, board: PlanBoard) -> MessageRef:
        self.sent += 1
        return MessageRef(board.plan.channel, f"4.{self.sent}")

    def update_plan(self, board: PlanBoard) -> None:
        pass

    def post_text(
        self, channel: str, text: str, thread_ts: str | None = None, offer: Offer | None = None
    ) -> MessageRef:
        self.sent += 1
        return MessageRef(channel, f"2.{self.sent}")


class _NoGroups:
    def group_members(self, group_id: str, *, fresh: bool = False) -> frozenset[str]:
        return frozenset()


def bench_poller(
    workdir: Path,
    tasks: int = 1000,
    budget: float = 48.0,
    minutes: int = 60,
    pccs: int = 1,
    expansion: bool = False,
) -> list[Row]:
    """``tasks`` replications spread over ``pccs`` destination PCCs, one simulated hour of ticks."""
    sim = SimulatorServer(Simulator(speed=0.0, expansion=expansion)).start()  # time moves only when told
    destinations = [f"pcc-bench-dst-{n}" for n in range(pccs)]
    for name in destinations:
        sim.sim.inventory[name] = copy.deepcopy(sim.sim.inventory["pcc-192-0-2-50"])
    clock = _Clock()
    repo = SqlRepository(str(workdir / f"poller-{pccs}-{expansion}.db"))
    gateway = SignedOvhGateway(make_client(credentials(sim)), limiter=SlidingWindow(100_000))
    service = PccService(
        gateway=gateway,
        repo=repo,
        notifier=_QuietChat(),
        directory=_NoGroups(),
        settings=ServiceSettings(
            approvers=frozenset({"UBOB"}),
            approval_ttl=timedelta(days=1),
            poll_period=timedelta(seconds=60),
            stall_after=timedelta(hours=3),
            poll_budget_per_minute=budget,
        ),
        clock=clock,
    )
    finish_at: dict[int, datetime] = {}
    for i in range(tasks):
        dest = destinations[i % pccs]
        request = repo.requests.add(draft(100000 + i, clock.now(), dest), card_channel="COPS")
        view = sim.sim.start_copy(dest, 1515, 1234, "linkFilerFromSbg")
        started_ago = REPLICATION_SECONDS * i / tasks  # spread: one finishes every 14.4 s
        sim.sim.tasks[view["taskId"]].started = -started_ago
        finish_at[request.id] = clock.now() + timedelta(seconds=REPLICATION_SECONDS - started_ago)
        repo.requests.transition(
            request.id, State.PENDING, State.APPROVED, Change(actor="UBOB", action="approved"), clock.now()
        )
        repo.requests.transition(
            request.id,
            State.APPROVED,
            State.REPLICATING,
            Change(actor="bench", action="started", fields={"task_id": view["taskId"]}),
            clock.now(),
        )
    service.deliver_notices()
    start, tick = clock.now(), timedelta(seconds=5)
    per_minute: dict[int, int] = {}
    noticed: dict[int, datetime] = {}
    wall = time.perf_counter()
    while clock.now() < start + timedelta(minutes=minutes):
        before = len(sim.sim.calls)
        service.poll_once()
        minute = int((clock.now() - start).total_seconds() // 60)
        made = [c for c in sim.sim.calls[before:] if c.path.startswith("/dedicatedCloud")]  # not /auth/time
        per_minute[minute] = per_minute.get(minute, 0) + len(made)
        for request in repo.requests.in_states([State.DONE]):
            noticed.setdefault(request.id, clock.now())
        clock.moment += tick
        sim.sim.advance(tick.total_seconds())
    wall = time.perf_counter() - wall
    delays = [(noticed[r] - finish_at[r]).total_seconds() for r in noticed]
    gateway.close()
    repo.close()
    sim.stop()
    worst_calls = max(per_minute.values())
    label = f"{tasks} tasks on {pccs} PCC(s), {'expanded task lists' if expansion else 'per-task reads'}"
    if expansion:  # measured against one poll period (60 s) and the whole budget (60/min)
        period, whole = 60.0, 60.0
        return [
            (
                f"poller, {label}: calls in the worst minute",
                f"{worst_calls}",
                f"20 % of {whole:.0f}/min = {whole * 0.2:.0f}",
                f"{worst_calls / (whole * 0.2):.2f}x",
            ),
            (
                f"poller, {label}: median delay task end -> seen ({len(delays)} completions)",
                f"{statistics.median(delays):.0f} s",
                f"one poll period {period:.0f} s",
                f"{statistics.median(delays) / period:.2f}x",
            ),
        ]
    round_robin = tasks / budget * 60  # seconds between two polls of one task when polled in turn
    return [
        (
            f"poller, {label}, {minutes} simulated min ({wall:.0f} s real): calls in the worst minute",
            f"{worst_calls}",
            f"budget {budget:.0f}/min",
            f"{worst_calls / budget:.2f}x",
        ),
        (
            f"poller: median delay task end -> seen ({len(delays)} completions)",
            f"{statistics.median(delays):.0f} s",
            f"round robin {round_robin / 2:.0f} s",
            f"{statistics.median(delays) / (round_robin / 2):.2f}x",
        ),
        (
            "poller: worst delay task end -> seen",
            f"{max(delays):.0f} s",
            f"round robin {round_robin:.0f} s",
            f"{max(delays) / round_robin:.2f}x",
        ),
    ]
