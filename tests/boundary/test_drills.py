"""Failure drills: kill -9 the bot between the Approve click and the stored task id, then restart.

After every drill there is never a second POST for the request, and it ends replicating or
needs_attention with a message in its thread (or still pending, when killed before the click landed).
"""

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from bot.adapters.slack import ids
from bot.adapters.sql.repository import SqlRepository
from bot.domain import State
from tests.helpers import (
    CHANNEL,
    MIGRATE,
    POST_ROUTE,
    SIGNING_SECRET,
    free_port,
    process_env,
    serve_http,
    signed_headers,
)


class BotProcess:
    def __init__(self, tmp_path: Path, simulator, slack) -> None:
        self.db = str(tmp_path / "bot.db")
        self.port = free_port()
        self.slack = slack
        self.env = process_env(
            simulator,
            slack,
            self.db,
            SLACK_BOT_TOKEN="xoxb-drill",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            PCC_POLL_SECONDS="1",
        )
        self.cwd = tmp_path
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = serve_http(self.env, self.cwd, self.port)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def post(self, body: str, timeout: float = 5) -> requests.Response:
        return requests.post(
            f"http://127.0.0.1:{self.port}/slack/events",
            data=body,
            headers=signed_headers(body),
            timeout=timeout,
        )

    def command(self, text: str, user: str = "UALICE") -> None:
        assert (
            self.post(
                urlencode(
                    {
                        "command": ids.COMMAND,
                        "text": text,
                        "user_id": user,
                        "channel_id": CHANNEL,
                        "team_id": "T0PCC",
                        "response_url": self.slack.response_url(),
                        "trigger_id": "t",
                    }
                )
            ).status_code
            == 200
        )

    def approve(self, request_id: int, user: str = "UBOB") -> None:
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": "T0PCC"},
            "channel": {"id": CHANNEL},
            "response_url": self.slack.response_url(),
            "trigger_id": "t",
            "actions": [{"action_id": ids.APPROVE, "value": str(request_id), "type": "button"}],
        }
        assert self.post(urlencode({"payload": json.dumps(payload)})).status_code == 200

    def request(self, request_id: int = 1):
        repo = SqlRepository(self.db)
        try:
            return repo.requests.get(request_id)
        finally:
            repo.close()


def wait_until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def bot_process(tmp_path, simulator, slack):
    process = BotProcess(tmp_path, simulator, slack)
    process.start()
    process.command(MIGRATE)
    wait_until(lambda: slack.standin.calls_to("chat.postMessage"))
    yield process
    process.stop()


def thread_messages(slack, card_ts: str) -> list[str]:
    return [
        str(c.args["text"])
        for c in slack.standin.calls_to("chat.postMessage")
        if c.args.get("thread_ts") == card_ts
    ]


def restart_and_settle(bot_process, simulator, slack) -> None:
    bot_process.start()
    request = bot_process.request()
    wait_until(lambda: thread_messages(slack, request.card_ts))
    final = bot_process.request()
    assert final.state in (State.REPLICATING, State.NEEDS_ATTENTION), final.state
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) <= 1


def test_killed_before_the_click_landed_the_request_is_still_pending(bot_process, simulator, slack):
    bot_process.kill9()
    bot_process.start()
    assert bot_process.request().state == State.PENDING
    bot_process.approve(1)
    wait_until(lambda: bot_process.request().state == State.REPLICATING)
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1


def test_killed_after_the_compare_and_set(bot_process, simulator, slack):
    slack.standin.fail("chat.update", status=500, times=1, delay=30)  # the bot hangs in the card update
    bot_process.approve(1)
    wait_until(lambda: bot_process.request().state == State.APPROVED)
    bot_process.kill9()
    restart_and_settle(bot_process, simulator, slack)
    assert simulator.sim.calls_to("POST", POST_ROUTE) == []
    assert bot_process.request().state == State.NEEDS_ATTENTION


def test_killed_while_the_post_is_in_flight(bot_process, simulator, slack):
    simulator.sim.inject("POST", POST_ROUTE, "timeout", seconds=30)  # the copy starts; the answer hangs
    bot_process.approve(1)
    wait_until(lambda: simulator.sim.tasks)
    bot_process.kill9()
    restart_and_settle(bot_process, simulator, slack)
    assert bot_process.request().state == State.REPLICATING  # the task was found and adopted
    assert bot_process.request().task_id == next(iter(simulator.sim.tasks))


def test_killed_after_the_api_answered(bot_process, simulator, slack, tmp_path):
    slack.standin.fail("chat.update", status=500, times=1, delay=1.5)  # a pause after the compare-and-set
    bot_process.approve(1)
    wait_until(lambda: bot_process.request().state == State.APPROVED)
    holder = sqlite3.connect(bot_process.db, timeout=10)
    holder.execute("BEGIN EXCLUSIVE")  # the bot cannot store the answer until this is released
    wait_until(lambda: simulator.sim.calls_to("POST", POST_ROUTE))
    time.sleep(0.3)  # the answer is back; storing it waits on the lock
    bot_process.kill9()
    holder.rollback()
    holder.close()
    restart_and_settle(bot_process, simulator, slack)
    assert len(simulator.sim.calls_to("POST", POST_ROUTE)) == 1
    assert bot_process.request().state == State.REPLICATING  # reconciled: the task was adopted
