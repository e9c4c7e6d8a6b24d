"""The service layer with in-memory fakes and a real in-memory SQLite repository."""

import threading
from datetime import timedelta

import pytest

from bot.adapters.sqlite.repository import SqliteRepository
from bot.domain import (
    Conflict,
    MigrationSpec,
    NotAllowed,
    OvhApiError,
    RuleViolation,
    State,
    Task,
    ZonePolicy,
)
from bot.usecases.ports import Change
from bot.usecases.service import PccService
from bot.usecases.settings import ServiceSettings
from tests.fakes import FakeClock, FakeDirectory, FakeGateway, FakeNotifier

SPEC = MigrationSpec("pcc-src", 10, 100, "pcc-dst", 20)
INCIDENT = "CINC"


class World:
    def __init__(self, path=":memory:", **settings):
        self.clock = FakeClock()
        self.gateway = FakeGateway(now=self.clock.now)
        self.notifier = FakeNotifier()
        self.directory = FakeDirectory({"SONCALL": frozenset({"UCAROL"})})
        self.path = path
        self.settings = ServiceSettings(
            approvers=frozenset({"UBOB", "SONCALL"}), incident_channel=INCIDENT, **settings
        )
        self.repo = SqliteRepository(path)
        self.service = self._service()

    def _service(self):
        return PccService(
            gateway=self.gateway,
            repo=self.repo,
            notifier=self.notifier,
            directory=self.directory,
            settings=self.settings,
            clock=self.clock,
        )

    def restart(self):
        self.repo.close()
        self.repo = SqliteRepository(self.path)
        self.service = self._service()

    def file(self, spec=SPEC, user="UALICE"):
        return self.service.filing.request_migration(spec, requester=user, channel="COPS")


@pytest.fixture
def world():
    return World()


def test_a_valid_request_is_stored_and_its_card_posted(world):
    request = world.file()
    assert request.state == State.PENDING
    assert request.filer_name == "ssd-000100" and request.dest_zone == "rbx2a"
    assert [card.id for card in world.notifier.cards] == [request.id]
    assert request.card_ts is not None
    assert world.repo.history(request.id)[0].action == "requested"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (MigrationSpec("pcc-nope", 10, 100, "pcc-dst", 20), "PCC pcc-nope not found"),
        (MigrationSpec("pcc-src", 99, 100, "pcc-dst", 20), "datacenter 99 not found in PCC pcc-src"),
        (MigrationSpec("pcc-src", 10, 999, "pcc-dst", 20), "filer 999 not found in datacenter 10"),
        (MigrationSpec("pcc-src", 10, 100, "pcc-dst", 77), "datacenter 77 not found in PCC pcc-dst"),
        (MigrationSpec("pcc-src", 10, 100, "pcc-sbg", 40), "destination pcc-sbg is in sbg1a"),
        (MigrationSpec("pcc-src", 10, 100, "pcc-nohds", 30), "source pcc-src has HDS enabled"),
        (MigrationSpec("pcc-dst", 20, 1, "pcc-nohds", 30), "filer 1 not found"),
    ],
)
def test_each_rule_refuses_and_nothing_is_stored(world, spec, expected):
    with pytest.raises(RuleViolation) as caught:
        world.file(spec)
    assert expected in str(caught.value)
    assert world.repo.recent(10) == []
    assert world.notifier.cards == []


def test_allowed_zones_are_enforced():
    world = World(policy=ZonePolicy(allowed_zones=frozenset({"lim1c"})))
    with pytest.raises(RuleViolation, match="rbx2a, which is not an allowed zone"):
        world.file()


def test_one_active_request_per_filer(world):
    first = world.file()
    with pytest.raises(Conflict, match=f"#{first.id}"):
        world.file(MigrationSpec("pcc-src", 10, 100, "pcc-dst", 20), user="UDAVE")
    world.service.decisions.cancel(first.id, "UALICE")
    assert world.file().id != first.id


def test_the_requester_cannot_approve(world):
    request = world.file(user="UBOB")
    with pytest.raises(NotAllowed, match="yourself"):
        world.service.decisions.approve(request.id, "UBOB")
    assert world.gateway.posts == []


def test_a_non_approver_cannot_approve(world):
    request = world.file()
    with pytest.raises(NotAllowed, match="PCC_APPROVERS"):
        world.service.decisions.approve(request.id, "UMALLORY")
    assert world.repo.get(request.id).state == State.PENDING


def test_a_user_group_member_can_approve(world):
    request = world.file()
    approved = world.service.decisions.approve(request.id, "UCAROL")
    assert approved.state == State.REPLICATING
    assert approved.approver == "UCAROL" and approved.task_id == 500
    assert world.gateway.posts == [SPEC]


def test_repeated_and_concurrent_approvals_post_once(world):
    request = world.file()
    barrier = threading.Barrier(8)
    outcomes = []

    def click(user):
        barrier.wait()
        try:
            world.service.decisions.approve(request.id, user)
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=click, args=(u,)) for u in ["UBOB", "UCAROL"] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    assert len(world.gateway.posts) == 1


def test_reject_is_final(world):
    request = world.file()
    world.service.decisions.reject(request.id, "UBOB")
    with pytest.raises(Conflict, match="already rejected by UBOB") as caught:
        world.service.decisions.approve(request.id, "UCAROL")
    assert caught.value.markup == f"request #{request.id} is already rejected by <@UBOB>"
    assert world.gateway.posts == []
    assert world.notifier.updates[-1].state == State.REJECTED


def test_cancel_only_by_requester_or_approver_and_only_while_pending(world):
    request = world.file()
    with pytest.raises(NotAllowed, match="requester or an approver"):
        world.service.decisions.cancel(request.id, "UMALLORY")
    world.service.decisions.approve(request.id, "UBOB")
    with pytest.raises(Conflict, match="only a pending request"):
        world.service.decisions.cancel(request.id, "UALICE")


def test_an_expired_request_cannot_be_approved(world):
    request = world.file()
    world.clock.advance(days=1, seconds=1)
    with pytest.raises(Conflict, match="expired"):
        world.service.decisions.approve(request.id, "UBOB")
    assert world.repo.get(request.id).state == State.EXPIRED
    assert world.gateway.posts == []


def test_a_refused_post_fails_the_request_with_the_query_id(world):
    world.gateway.post_error = OvhApiError("Got an invalid (or empty) URL", status=404, query_id="EU.q9")
    request = world.file()
    result = world.service.decisions.approve(request.id, "UBOB")
    assert result.state == State.FAILED
    thread = [text for channel, text, ts in world.notifier.texts if ts == request.card_ts]
    assert any("EU.q9" in text and "refused" in text for text in thread)
    assert any(channel == INCIDENT for channel, _, _ in world.notifier.texts)


def test_an_ambiguous_post_needs_attention_and_is_never_repeated(world):
    world.gateway.post_error = OvhApiError("timeout", ambiguous=True)
    request = world.file()
    assert world.service.decisions.approve(request.id, "UBOB").state == State.NEEDS_ATTENTION
    world.service.poll_once()
    world.service.poll_once()
    assert len(world.gateway.posts) == 1
    assert world.repo.get(request.id).state == State.NEEDS_ATTENTION


def test_an_approver_closes_a_request_whose_task_never_appeared(world):
    world.gateway.post_error = OvhApiError("timeout", ambiguous=True)
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    with pytest.raises(NotAllowed):
        world.service.decisions.cancel(request.id, "UALICE")  # the requester is not an approver
    closed = world.service.decisions.cancel(request.id, "UCAROL")
    assert closed.state == State.FAILED
    assert any("closed by <@UCAROL>" in t for _, t, _ in world.notifier.texts)
    assert world.file(user="UDAVE").state == State.PENDING  # the filer is free again
    assert len(world.gateway.posts) == 1


def test_a_needs_attention_request_adopts_its_task_when_it_shows_up(world):
    world.gateway.post_error = OvhApiError("timeout", ambiguous=True)
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    world.gateway.tasks[777] = Task(
        777,
        "linkFilerFromSbg",
        "doing",
        10,
        filer_id=SPEC.filer_id,
        datacenter_id=SPEC.dest_datacenter_id,
        executed_at=world.clock.now(),
    )
    world.service.poll_once()
    adopted = world.repo.get(request.id)
    assert adopted.state == State.REPLICATING and adopted.task_id == 777
    assert len(world.gateway.posts) == 1


def test_completion_is_announced_once_in_thread_and_incident_room(world):
    request = world.service.decisions.approve(world.file().id, "UBOB")
    world.gateway.set_task(request.task_id, "doing", 40)
    world.service.poll_once()
    assert world.repo.get(request.id).progress == 40
    world.gateway.set_task(request.task_id, "done", 100)
    world.clock.advance(seconds=60)  # the next poll of this task is due within one period
    world.service.poll_once()
    world.clock.advance(seconds=60)
    world.service.poll_once()
    assert world.repo.get(request.id).state == State.DONE
    done = [(c, t, ts) for c, t, ts in world.notifier.texts if "restore-000100" in t]
    assert [(c, ts) for c, _, ts in done] == [("COPS", request.card_ts), (INCIDENT, None)]
    assert "read-only" in done[0][1] and "clone each VM" in done[0][1]


@pytest.mark.parametrize("task_state", ["error", "canceled"])
def test_failure_is_announced_with_the_task_id(world, task_state):
    request = world.service.decisions.approve(world.file().id, "UBOB")
    world.gateway.set_task(request.task_id, task_state)
    world.service.poll_once()
    assert world.repo.get(request.id).state == State.FAILED
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
    assert world.repo.get(request.id).card_ts is None
    world.clock.advance(seconds=10)
    world.service.deliver_notices()
    assert world.repo.get(request.id).card_ts is not None


def test_restart_between_approval_and_answer_reconciles_without_a_second_post(tmp_path):
    world = World(str(tmp_path / "bot.db"))
    request = world.file()
    change_only = Change(actor="UBOB", action="approved")
    assert world.repo.transition(request.id, State.PENDING, State.APPROVED, change_only, world.clock.now())
    world.restart()  # the process died before calling the API
    world.service.reconcile()
    stuck = world.repo.get(request.id)
    assert stuck.state == State.NEEDS_ATTENTION
    assert world.gateway.posts == []
    assert any("needs attention" in t for _, t, ts in world.notifier.texts if ts == stuck.card_ts)


def test_restart_after_the_api_answered_adopts_the_task(tmp_path):
    world = World(str(tmp_path / "bot.db"))
    request = world.file()
    change_only = Change(actor="UBOB", action="approved")
    world.repo.transition(request.id, State.PENDING, State.APPROVED, change_only, world.clock.now())
    started = world.gateway.start_migration(
        request.spec, request.route
    )  # the call went out; the answer was lost
    world.restart()
    world.service.reconcile()
    adopted = world.repo.get(request.id)
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
    assert world.repo.get(request.id).state == State.EXPIRED
    assert world.settings.approval_ttl == timedelta(days=1)


def test_status_shows_the_history(world):
    request = world.service.decisions.approve(world.file().id, "UBOB")
    _, history = world.service.reading.status(request.id)
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
    assert expected in (caught.value.markup or "") and f"#{first.id}" in str(caught.value)
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
    assert "running (`doing`) 40%" in status and "running 1 h 30 min" in status
    assert "last check 10:30 UTC" in status


def test_an_approval_whose_answer_was_never_recorded_goes_in_doubt_after_the_call_timeout(world):
    request = world.file()
    decision = Change(actor="UBOB", action="approved", fields={"called_at": world.clock.now()})
    assert world.repo.transition(request.id, State.PENDING, State.APPROVED, decision, world.clock.now())
    world.service.poll_once()
    assert world.repo.get(request.id).state == State.APPROVED  # the call may still be running
    world.clock.advance(minutes=3)
    world.service.poll_once()
    assert world.repo.get(request.id).state == State.NEEDS_ATTENTION
    assert world.gateway.posts == []


def test_a_removal_whose_task_id_was_not_stored_finds_its_task_by_reading(world):
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    task_id = world.repo.get(request.id).task_id
    world.gateway.set_task(task_id, "done", 100)
    world.service.poll_once()
    now = world.clock.now()
    removing = Change(
        actor="UBOB", action="copy removal approved", fields={"copy_filer_id": 900, "called_at": now}
    )
    assert world.repo.transition(request.id, State.DONE, State.REMOVING, removing, now)
    started = world.gateway.remove_filer("pcc-dst", 20, 900)  # the call ran; its answer was lost
    world.clock.advance(minutes=3)
    world.service.poll_once()
    found = world.repo.get(request.id)
    assert found.state == State.REMOVING and found.removal_task_id == started.task_id
    assert world.gateway.removals == [900]


def test_two_requests_in_doubt_cannot_hold_the_same_task(world):
    world.gateway.post_error = OvhApiError("timeout", ambiguous=True)
    first = world.file()
    second = world.file(MigrationSpec("pcc-src", 10, 101, "pcc-dst", 20))
    world.service.decisions.approve(first.id, "UBOB")
    world.service.decisions.approve(second.id, "UBOB")
    world.gateway.tasks[777] = Task(
        777, "linkFilerFromSbg", "doing", 10, datacenter_id=20, executed_at=world.clock.now()
    )
    world.service.poll_once()  # no filer id: both list it as a candidate, neither adopts it
    assert {t.task_id for t in world.repo.get(first.id).candidates} == {777}
    assert world.service.decisions.adopt(first.id, 777, "UCAROL").state == State.REPLICATING
    with pytest.raises(Conflict):
        world.service.decisions.adopt(second.id, 777, "UCAROL")
    assert world.repo.get(second.id).state == State.NEEDS_ATTENTION
