"""No pool waits on itself: listings on an API whose lists answer ids (per-id reads under each listing's
steps) all come back, with the poller running, and the process stops on SIGTERM meanwhile."""

import signal
import subprocess
import threading
import time

import pytest

from bot.support.pools import Pool, WaitOnOwnPool
from tests.helpers import Serving

PEOPLE = ["UALICE", "UBOB", "UCAROL", "UDAVE", "UERIN", "UFRANK"]


def burst(server: Serving, count: int) -> None:
    """``count`` listings at once, two per person, each of a PCC's every datacenter."""
    texts = ["filers pcc-192-0-2-15", "filers pcc-192-0-2-50"]
    threads = [
        threading.Thread(target=server.command, args=(texts[i % 2], PEOPLE[i % len(PEOPLE)]))
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture
def ids_only(simulator):
    simulator.sim.expansion = False
    simulator.sim.latency = 0.05  # a real round trip: the pool's threads are held while reads run
    return simulator


def test_a_dozen_listings_on_an_ids_only_api_all_answer_and_sigterm_stops_the_process(
    tmp_path, ids_only, slack
):
    server = Serving(tmp_path, ids_only, slack, capture=True, PCC_OVH_RATE="600")
    proc = server.proc
    try:
        burst(server, 12)
        answered = slack.standin.wait_for("response_url", count=12, timeout=30)
        assert len(answered) == 12, [c.args.get("text") for c in answered]
        assert all("datastore" in str(c.args.get("text")) for c in answered)
        burst(server, 12)  # and while those run, stop
        output = stop_within_ten_seconds(proc)
    finally:
        proc.kill()
    assert proc.returncode == 0, output


def stop_within_ten_seconds(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    output, _ = proc.communicate(timeout=10)
    assert time.monotonic() - started < 10
    return output


def test_sigterm_stops_the_process_while_listings_wait_for_the_budget(tmp_path, ids_only, slack):
    server = Serving(tmp_path, ids_only, slack, capture=True, PCC_OVH_RATE="20")
    proc = server.proc
    try:
        burst(server, 12)
        time.sleep(1)  # the listings are now waiting for budget places that come every few seconds
        output = stop_within_ten_seconds(proc)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "stopped cleanly" in output


def test_a_pool_refuses_to_wait_on_itself():
    pool = Pool("test", 2)
    try:

        def nested() -> int:
            return sum(pool.map(lambda x: x, [1, 2, 3]))

        with pytest.raises(WaitOnOwnPool, match="test"):
            pool.submit(nested).result(timeout=5)
        assert pool.map(lambda x: x * 2, [1, 2]) == [2, 4]
    finally:
        pool.close()
