"""Two `pcc-bot serve` processes, each with a folder of its own, on one PostgreSQL: what one files the
other shows; six clicks over both call the API once; the completion is told once in the thread and
once in the room; one leads; `kill -9` of the leader and the survivor goes on; a burst through both
stays within the budget; both killed and restarted, every request is still there; no SQLite file."""

from __future__ import annotations

import threading
import time

import pytest

from bot.adapters.slack import ids
from bot.demo.simulator import busiest_minute, large_pcc
from bot.domain import State
from tests.conftest import INCIDENT, POST_ROUTE
from tests.serving import Serving

SOURCE, DEST = "pcc-192-0-2-15 1337", "pcc-192-0-2-50 1515"
RATE = 30


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.2)


def _answers(slack, since: int) -> str:
    """What the slash commands' answers said since the ``since``-th recorded Slack call."""
    calls = slack.standin.calls[since:]
    return " ".join(
        str(c.args.get("text")) + str(c.args.get("blocks")) for c in calls if c.method == "response_url"
    )


@pytest.mark.timeout(300)  # four process starts, a replication, a budget minute
def test_two_replicas_on_one_postgresql(tmp_path, simulator, slack, postgres):
    url = postgres.fresh(migrated=False)  # the replicas migrate it, together
    replica = {
        name: Serving(
            tmp_path / name,
            simulator,
            slack,
            PCC_DATABASE_URL=url,
            PCC_INCIDENT_CHANNEL=INCIDENT,
            PCC_OVH_RATE=str(RATE),
        )
        for name in ("a", "b")
    }
    a, b = replica["a"], replica["b"]
    repo = None
    try:
        from bot.adapters.sql.repository import SqlRepository

        repo = SqlRepository(url)
        a.command(f"migrate {SOURCE} 1234 {DEST}")
        _wait(lambda: repo.get(1) is not None, 20, "the request filed through a")
        assert repo.get(1).state == State.PENDING

        since = len(slack.standin.calls)
        b.command("status 1")  # the other replica knows it
        _wait(lambda: "ssd-" in _answers(slack, since), 20, "b showing request #1")

        clicks = [
            threading.Thread(target=server.click, args=(ids.APPROVE, "1", user))
            for server in (a, b)
            for user in ("UBOB", "UCAROL", "UBOB")
        ]
        for click in clicks:
            click.start()
        for click in clicks:
            click.join()
        _wait(lambda: repo.get(1).state == State.REPLICATING, 20, "the approval's POST")
        time.sleep(2)
        assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1

        replayed = {
            "command": "/pcc",
            "text": f"migrate {SOURCE} 1236 {DEST}",
            "user_id": "UALICE",
            "channel_id": "COPS",
            "response_url": slack.response_url(),
            "team_id": "T0PCC",
        }
        since = len(slack.standin.calls)
        b.post(replayed, a.post(replayed))  # the very same signed request, to the other replica
        _wait(lambda: repo.get(2) is not None, 20, "the replayed filing")
        time.sleep(2)
        assert [r.spec.filer_id for r in repo.recent(5)] == [1236, 1234]
        assert "already has an active request" not in _answers(slack, since)  # b did not handle it

        leaders = [name for name, server in replica.items() if server.leads()]
        assert len(leaders) == 1, leaders

        simulator.sim.advance(48 * 3600)  # the copy ends
        _wait(lambda: repo.get(1).state == State.DONE, 30, "the completion")
        time.sleep(6)  # any second announcement would have been sent by now
        done = [
            c
            for c in slack.standin.calls_to("chat.postMessage")
            if "Request #1 done" in str(c.args.get("text"))
        ]
        assert sorted(c.args["channel"] for c in done) == sorted(["COPS", INCIDENT]), done
        assert len([c for c in done if c.args.get("thread_ts")]) == 1

        leader, survivor = (a, b) if leaders == ["a"] else (b, a)
        leader.proc.kill()  # kill -9
        killed_at = time.monotonic()
        survivor.command(f"migrate {SOURCE} 1235 {DEST}")
        _wait(lambda: repo.get(3) is not None, 20, "the survivor filing")
        survivor.click(ids.APPROVE, "3", "UBOB")
        _wait(lambda: repo.get(3).state == State.REPLICATING, 20, "the survivor's POST")
        simulator.sim.advance(48 * 3600)
        _wait(lambda: repo.get(3).state == State.DONE, 30, "the survivor's poller")
        _wait(
            lambda: any(
                "Request #3 done" in str(c.args.get("text"))
                for c in slack.standin.calls_to("chat.postMessage")
            ),
            10,
            "the survivor's announcement",
        )
        assert time.monotonic() - killed_at < 30
        assert survivor.leads()
        assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 2

        leader.proc = leader.start()
        simulator.sim.expansion = False  # ids only: a listing costs a call per datastore
        for n in range(8):
            simulator.sim.inventory[f"pcc-198-51-100-{n}"] = large_pcc(15, first_id=30000 + 100 * n)
        before = len([c for c in simulator.sim.calls if c.path.startswith("/dedicatedCloud")])
        started = time.monotonic()
        for n in range(8):  # a burst of listings through both, far more than the minute allows
            (a, b)[n % 2].command(f"filers pcc-198-51-100-{n}", user=f"U{n}")
        time.sleep(max(0.0, 10 - (time.monotonic() - started)))
        api = [c for c in simulator.sim.calls if c.path.startswith("/dedicatedCloud")]
        assert len(api) - before < 8 * 15  # the budget held the burst back...
        assert RATE * 0.8 <= busiest_minute(api) <= RATE  # ...at the limit, both replicas together

        for server in (a, b):
            server.kill()
        for server in (a, b):
            server.proc = server.start()
        assert [r.id for r in sorted(repo.recent(10), key=lambda r: r.id)] == [1, 2, 3]
        since = len(slack.standin.calls)
        a.command("list")
        _wait(lambda: "#3" in _answers(slack, since), 20, "the restarted replica listing")
        assert not list(tmp_path.rglob("*.db")), "a SQLite file was written"
    finally:
        for server in replica.values():
            server.proc.kill()
        if repo is not None:
            repo.close()
