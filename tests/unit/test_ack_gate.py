"""The work after an ack gives way to the acks in flight (bot/support/executor.py: AckGate), never
longer than its bound; the HTTP layer counts each Slack request it reads, verifies and acks."""

import io
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any
from unittest.mock import Mock

from slack_bolt import Respond
from slack_bolt.response import BoltResponse

from bot.adapters.http.server import SlackWsgi
from bot.support.executor import AckGate, TrackingExecutor
from bot.support.pools import PersonQueue
from handlers.wiring import Wiring


def until(condition: Callable[[], bool]) -> None:
    """Wait (pytest-timeout bounds it) until ``condition`` holds."""
    happened = threading.Event()
    while not condition():
        happened.wait(0.001)


def test_work_waits_while_an_ack_is_in_flight_and_runs_once_it_is_answered():
    gate = AckGate(bound=600)
    pool = TrackingExecutor(2, "work", gate=gate)
    ran: list[int] = []
    try:
        with gate.acking():
            future = pool.after_acks(lambda: ran.append(gate.in_flight))
            until(lambda: gate.waiting == 1)
            assert ran == []  # held at the gate while the ack is in flight
        future.result()
    finally:
        pool.shutdown()
    assert ran == [0]  # it ran once no ack was in flight
    assert gate.waited > 0


def test_work_waits_no_longer_than_its_bound_however_long_acks_last():
    gate = AckGate(bound=0.01)
    pool = TrackingExecutor(2, "work", gate=gate)
    try:
        with gate.acking():
            in_flight = pool.after_acks(lambda: gate.in_flight).result()  # the ack is still in flight
    finally:
        pool.shutdown()
    assert in_flight == 1
    assert gate.longest > 0


def test_work_runs_at_once_when_no_ack_is_in_flight_and_acks_never_wait():
    gate = AckGate(bound=600)
    pool = TrackingExecutor(2, "work", gate=gate)
    try:
        assert pool.after_acks(lambda: "done").result() == "done"
    finally:
        pool.shutdown()
    assert gate.waited == 0
    with gate.acking(), gate.acking():  # acks themselves only count
        assert gate.in_flight == 2
    assert gate.in_flight == 0


class _Health:
    started = True

    def __init__(self, gate: AckGate) -> None:
        self.acks = gate


def test_work_an_ack_waits_for_is_not_held_back_by_that_ack():
    gate = AckGate(bound=600)
    pool = TrackingExecutor(2, "work", gate=gate)
    try:
        with gate.acking():  # the form's submit waits for its rule check within its own ack
            assert pool.submit(lambda: gate.in_flight).result() == 1
    finally:
        pool.shutdown()
    assert gate.waited == 0


def test_the_http_layer_counts_a_slack_request_in_flight_until_it_is_acked():
    gate = AckGate()
    seen: list[int] = []

    def dispatch(request: object) -> BoltResponse:
        seen.append(gate.in_flight)
        return BoltResponse(status=200, body="")

    app = Mock()
    app.dispatch.side_effect = dispatch
    wsgi = SlackWsgi(app, _Health(gate))  # type: ignore[arg-type]
    body = b"command=%2Fpcc&text=help"
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": io.BytesIO(body),
    }
    wsgi(environ, Mock())
    assert seen == [1]  # in flight while Bolt dispatched it
    assert gate.in_flight == 0  # and no longer once answered


class _Recorded(Executor):
    """Keeps the work handed to it until the test runs it."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.tasks.append(lambda: fn(*args, **kwargs))
        return Future()


def test_a_command_past_its_persons_bound_is_refused_from_the_quick_lane_not_from_bolts_thread():
    quick, commands = _Recorded(), _Recorded()
    wiring = Wiring(service=Mock(), commands=commands, clicks=_Recorded(), quick=quick, queue=PersonQueue(1))
    respond = Mock(spec=Respond)
    wiring.after_command(respond, "UALICE", lambda: None)  # takes her one place
    wiring.after_command(respond, "UALICE", lambda: None)  # past it
    respond.assert_not_called()  # nothing but the ack on the listener's thread
    assert len(commands.tasks) == 1 and len(quick.tasks) == 1
    quick.tasks[0]()
    assert "You already have 1 commands waiting" in respond.call_args.kwargs["text"]
