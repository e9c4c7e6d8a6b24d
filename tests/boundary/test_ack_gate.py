"""Over signed HTTP: the work after an ack gives way to the Slack requests still being acked (a burst's
acks first), its own ack is never held, and no answer waits longer than the gate's bound."""

import threading
from collections.abc import Callable


def until(condition: Callable[[], bool]) -> None:
    """Wait (pytest-timeout bounds it) until ``condition`` holds."""
    pause = threading.Event()
    while not condition():
        pause.wait(0.005)


def test_an_answer_waits_for_the_acks_in_flight_and_its_own_ack_does_not(bot):
    gate = bot.runtime.acks
    with gate.acking():  # another Slack request being read, verified and acked
        assert bot.command("help").status_code == 200  # acked meanwhile
        until(lambda: gate.waiting == 1)
        assert bot.replies() == []  # its answer gives way
    bot.settle()
    assert any("/pcc filers" in reply for reply in bot.replies())
    assert gate.in_flight == 0 and gate.waited > 0


def test_an_answer_gives_way_no_longer_than_the_bound_however_long_acks_go_on(bot):
    gate = bot.runtime.acks
    gate.bound = 0.05
    with gate.acking():  # acks in flight for the whole test
        assert bot.command("help").status_code == 200
        bot.settle()
        assert any("/pcc filers" in reply for reply in bot.replies())
        assert gate.in_flight == 1
