"""After the decision: tracking, notices, restarts, expiry, calls in doubt (use cases with fakes)."""

from datetime import timedelta

import pytest

from bot.domain import (
    Conflict,
    MigrationSpec,
    OvhApiError,
    State,
    Task,
)
from bot.usecases.ports import Change
from tests.world import INCIDENT, World


def test_completion_is_announced_once_in_thread_and_incident_room(world):
    request = world.service.decisions.approve(world.file().id, "UBOB")
    world.gateway.set_task(request.task_id, "doing", 40)
    world.service.poll_once()
    assert world.repo.requests.get(request.id).progress == 40
    world.gateway.set_task(request.task_id, "done", 100)
    world.clock.advance(seconds=60)  # the next poll of this task is due within one period
    world.service.poll_once()
    world.clock.advance(seconds=60)
    world.service.poll_once()
    assert world.repo.requests.get(request.id).state == State.DONE
    done = [(c, t, ts) for c, t, ts in world.notifier.texts if "restore-000100" in t]
    assert [(c, ts) for c, _, ts in done] == [("COPS", request.card_ts), (INCIDENT, None)]
    assert "read-only" in done[0][1] and "clone each VM" in done[0][1]


@pytest.mark.parametrize("task_state", ["error", "canceled"])
def test_failure_is_announced_with_the_task_id(world, task_state):
    request = world.service.decisions.approve(world.file().id, "UBOB")
    world.gateway.set_task(request.task_id, task_state)
    world.service.poll_once()
    assert world.repo.requests.get(request.id).state == State.FAILED
    failures = [t for _, t, _ in world.notifier.texts if "failed" in t]
    assert len(failures) == 2 and all(f"task {request.task_id}" in t for t in failures)


def test_a_notice_the_chat_refuses_is_kept_and_sent_later_exactly_once(world):
    request = world.service.decisions.approve(world.file().id, "UBOB")
    world.gateway.set_task(request.task_id, "done", 100)
    world.notifier.failures = 2  # the card update and the thread notice meet a 429

    def done_notices():
        return [(channel, ts) for channel, text, ts in world.notifier.texts if "done" in text]

    world.service.poll_once()
    assert done_notices() == [(INCIDENT, None)]
    world.service.deliver_notices()  # not due yet: Retry-After 2 s
    assert done_notices() == [(INCIDENT, None)]
    world.clock.advance(seconds=3)
    world.service.deliver_notices()
    world.service.deliver_notices()
    assert done_notices() == [(INCIDENT, None), ("COPS", request.card_ts)]


def test_a_card_that_could_not_be_posted_is_retried_before_its_thread(world):
    world.notifier.failures = 1
    request = world.file()
    assert world.repo.requests.get(request.id).card_ts is None
    world.clock.advance(seconds=10)
    world.service.deliver_notices()
    assert world.repo.requests.get(request.id).card_ts is not None


def test_restart_between_approval_and_answer_reconciles_without_a_second_post(tmp_path):
    world = World(str(tmp_path / "bot.db"))
    request = world.file()
    stuck = world.killed_after_approval(request)
    assert stuck.state == State.NEEDS_ATTENTION
    assert world.gateway.posts == []
    assert any("needs attention" in t for _, t, ts in world.notifier.texts if ts == stuck.card_ts)


def test_restart_after_the_api_answered_adopts_the_task(tmp_path):
    world = World(str(tmp_path / "bot.db"))
    request = world.file()
    change_only = Change(actor="UBOB", action="approved")
    world.repo.requests.transition(request.id, State.PENDING, State.APPROVED, change_only, world.clock.now())
    started = world.gateway.start_migration(
        request.spec, request.route
    )  # the call went out; the answer was lost
    world.restart()
    world.service.reconcile()
    adopted = world.repo.requests.get(request.id)
    assert adopted.state == State.REPLICATING and adopted.task_id == started.task_id
    assert len(world.gateway.posts) == 1


def test_pending_requests_survive_a_restart(tmp_path):
    world = World(str(tmp_path / "bot.db"))
    request = world.file()
    world.restart()
    assert world.service.decisions.approve(request.id, "UBOB").state == State.REPLICATING


def test_poll_expires_stale_requests(world):
    request = world.file()
    world.clock.advance(seconds=world.settings.approval_ttl.total_seconds() + 1)
    world.service.poll_once()
    assert world.repo.requests.get(request.id).state == State.EXPIRED
    assert world.settings.approval_ttl == timedelta(days=1)


def test_status_shows_the_history(world):
    request = world.service.decisions.approve(world.file().id, "UBOB")
    _, history = world.service.reading.status(request.id, "UALICE")
    assert [h.action for h in history] == ["requested", "approved", "migration started"]
    assert history[2].query_id == "EU.q1"


def test_a_pending_request_gets_one_reminder_at_half_its_ttl(world):
    request = world.file()
    world.service.poll_once()
    assert not [t for _, t, _ in world.notifier.texts if "still waits" in t]
    world.clock.advance(hours=12, seconds=1)
    world.service.poll_once()
    world.clock.advance(hours=1)
    world.service.poll_once()
    reminders = [(c, ts) for c, t, ts in world.notifier.texts if "still waits for an approver" in t]
    assert reminders == [("COPS", request.card_ts)]


def test_a_second_request_for_a_filer_links_to_the_first_ones_thread(world):
    first = world.file()
    with pytest.raises(Conflict) as caught:
        world.file(user="UDAVE")
    expected = f"https://slack.com/archives/COPS/p{first.card_ts.replace('.', '')}"
    assert expected in str(caught.value.markup or "") and f"#{first.id}" in str(caught.value)
    assert f"/pcc status {first.id}" in str(caught.value)  # the plain text says where to look too


def test_a_stalled_task_is_reported_once_per_stall(world):
    request = world.service.decisions.approve(world.file().id, "UBOB")
    world.gateway.set_task(request.task_id, "doing", 30)
    world.service.poll_once()
    for _ in range(4):  # 4 hours without progress, polled every hour
        world.clock.advance(hours=1)
        world.service.poll_once()
    stalls = [(c, ts) for c, t, ts in world.notifier.texts if "may be stalled" in t]
    assert stalls == [("COPS", request.card_ts), (INCIDENT, None)]
    text = next(t for _, t, _ in world.notifier.texts if "may be stalled" in t)
    assert f"task {request.task_id}" in text and "30%" in text and "OVHcloud support" in text
    world.gateway.set_task(request.task_id, "doing", 31)  # it moves again, then stalls again
    world.clock.advance(hours=1)
    world.service.poll_once()
    for _ in range(4):
        world.clock.advance(hours=1)
        world.service.poll_once()
    assert len([t for _, t, _ in world.notifier.texts if "may be stalled" in t]) == 4


def test_the_card_shows_elapsed_time_and_last_check(world):
    request = world.service.decisions.approve(world.file().id, "UBOB")
    world.clock.advance(minutes=90)
    world.gateway.set_task(request.task_id, "doing", 40)
    world.service.poll_once()
    card = world.notifier.updates[-1]
    from bot.adapters.slack.cards import card_message

    status = card_message(card)[1][2]["elements"][0]["text"]
    assert "running (`doing`) · `████░░░░░░` 40%" in status and "running 1 hr 30 min" in status
    assert "last check <!date^1773311400^{time}|2026-03-12 10:30 UTC>" in status  # the reader's own time


def test_an_approval_whose_answer_was_never_recorded_goes_in_doubt_after_the_call_timeout(world):
    request = world.file()
    decision = Change(actor="UBOB", action="approved", fields={"called_at": world.clock.now()})
    assert world.repo.requests.transition(
        request.id, State.PENDING, State.APPROVED, decision, world.clock.now()
    )
    world.service.poll_once()
    assert world.repo.requests.get(request.id).state == State.APPROVED  # the call may still be running
    world.clock.advance(minutes=3)
    world.service.poll_once()
    assert world.repo.requests.get(request.id).state == State.NEEDS_ATTENTION
    assert world.gateway.posts == []


def test_a_removal_whose_task_id_was_not_stored_finds_its_task_by_reading(world):
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    task_id = world.repo.requests.get(request.id).task_id
    world.gateway.set_task(task_id, "done", 100)
    world.service.poll_once()
    now = world.clock.now()
    removing = Change(
        actor="UBOB", action="copy removal approved", fields={"copy_filer_id": 900, "called_at": now}
    )
    assert world.repo.requests.transition(request.id, State.DONE, State.REMOVING, removing, now)
    where: dict[str, str | int] = {"serviceName": "pcc-dst", "datacenterId": 20, "filerId": 900}
    started = world.gateway.mutate("removeFiler", where, None)  # the call ran; its answer was lost
    world.clock.advance(minutes=3)
    world.service.poll_once()
    found = world.repo.requests.get(request.id)
    assert found.state == State.REMOVING and found.removal_task_id == started.task_id
    assert world.gateway.removals == [900]


def _two_posts_in_doubt(world, second_spec: MigrationSpec):
    """Two requests approved whose POSTs both timed out: both in doubt."""
    world.gateway.post_error = OvhApiError("timeout", ambiguous=True)
    first, second = world.file(), world.file(second_spec)
    world.service.decisions.approve(first.id, "UBOB")
    world.service.decisions.approve(second.id, "UBOB")
    return first, second


def test_two_requests_in_doubt_cannot_hold_the_same_task(world):
    first, second = _two_posts_in_doubt(world, MigrationSpec("pcc-src", 10, 101, "pcc-dst", 20))
    world.gateway.tasks[777] = Task(
        777, "linkFilerFromSbg", "doing", 10, datacenter_id=20, executed_at=world.clock.now()
    )
    world.service.poll_once()  # no filer id: both list it as a candidate, neither adopts it
    assert {t.task_id for t in world.repo.requests.get(first.id).candidates} == {777}
    assert world.service.decisions.adopt(first.id, 777, "UCAROL").state == State.REPLICATING
    with pytest.raises(Conflict):
        world.service.decisions.adopt(second.id, 777, "UCAROL")
    assert world.repo.requests.get(second.id).state == State.NEEDS_ATTENTION


def test_a_task_that_two_source_pccs_could_have_started_is_left_to_people(world):
    world.gateway.pccs["pcc-sbg"][2][40] = [100]  # another source PCC with a datastore of the same id
    first, second = _two_posts_in_doubt(world, MigrationSpec("pcc-sbg", 40, 100, "pcc-dst", 20))
    world.gateway.tasks[777] = Task(
        777, "linkFilerFromSbg", "doing", 10, filer_id=100, datacenter_id=20, executed_at=world.clock.now()
    )
    world.service.poll_once()  # carries filer id 100: it proves nothing, both requests have that id
    for request in (first, second):
        found = world.repo.requests.get(request.id)
        assert found.state == State.NEEDS_ATTENTION and {t.task_id for t in found.candidates} == {777}


def test_a_call_never_sent_returns_the_decision_and_a_plan_resumes_it_later(world):
    from bot.domain import BudgetSpent, PlanState

    world.gateway.post_error = BudgetSpent("POST /linkFilerFromSbg", None)  # the bot is stopping
    request = world.file()
    with pytest.raises(BudgetSpent, match="No call was made"):
        world.service.decisions.approve(request.id, "UBOB")
    back = world.repo.requests.get(request.id)
    assert back.state == State.PENDING and world.gateway.tasks == {}  # no task: nothing ran
    assert [e.action for e in world.repo.audit.history(request.id)][-1] == "migration not sent"
    world.service.decisions.cancel(request.id, "UALICE")

    plan = world.service.plans.file_plan("pcc-src", 10, "pcc-dst", 20, (), "UALICE", "COPS")
    world.service.plans.approve(plan.id, "UBOB")  # its first POST is not sent: the dispatch pauses
    assert {r.state for r in world.repo.plans.items(plan.id)} == {State.PENDING}
    world.gateway.post_error = None
    world.service.poll_once()  # the next tick resumes it
    assert {r.state for r in world.repo.plans.items(plan.id)} == {State.REPLICATING}
    assert world.repo.plans.get(plan.id).state == PlanState.APPROVED and len(world.gateway.tasks) == 2


def test_a_queued_datastore_copied_meanwhile_is_cancelled_before_the_dispatch_sends_it(world):
    """A datastore of an approved plan that another request copied meanwhile (a row written by an
    earlier release, say) is cancelled before the dispatch, never copied twice."""
    from bot.adapters.sql.rows import request_row
    from bot.adapters.sql.store import insert
    from bot.domain import BudgetSpent

    plan = world.service.plans.file_plan("pcc-src", 10, "pcc-dst", 20, (), "UALICE", "COPS")
    world.gateway.post_error = BudgetSpent("POST /linkFilerFromSbg", None)  # the dispatch pauses
    world.service.plans.approve(plan.id, "UBOB")
    first, second = world.repo.plans.items(plan.id)
    row = {**request_row(first), "state": State.DONE.value, "plan_id": None}
    with world.repo._store.write() as conn:
        insert(conn, "requests", {k: v for k, v in row.items() if k != "id"})
    world.gateway.post_error = None
    world.gateway.posts.clear()
    world.service.poll_once()  # the next tick resumes the dispatch
    assert [s.filer_id for s in world.gateway.posts] == [second.spec.filer_id]
    left = world.repo.requests.get(first.id)
    assert left.state == State.CANCELLED
    assert [e.action for e in world.repo.audit.history(first.id)][-1] == "left out"
