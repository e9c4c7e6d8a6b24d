"""The repository's contract, on SQLite and on PostgreSQL alike (the ``database`` fixture runs each
test on both): compare-and-set, one active request per filer, the outbox, the counts. SQLite's own
facts (its file, its WAL, databases of the first releases) at the end."""

import re
import sqlite3
import threading
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlite_utils import Database

from bot.adapters.sql.history import HEAD
from bot.adapters.sql.legacy import migrations
from bot.adapters.sql.repository import SqlRepository
from bot.demo.samples import sample_draft
from bot.domain import (
    AuditEntry,
    Conflict,
    LeftOut,
    NoticeDraft,
    NoticeKind,
    Pause,
    PlanDraft,
    PlanItem,
    PlanState,
    RequestFields,
    State,
    Task,
)
from bot.usecases.ports import Change

NOW = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
LEGACY_MIGRATIONS = [m.name for m in migrations.pending(Database(memory=True))]


def new(filer_id=1234):
    return sample_draft(filer_id, NOW)


def test_migrations_are_recorded_and_reopening_keeps_the_data(database):
    repo = SqlRepository(database)
    request = repo.requests.add(new(), card_channel="COPS")
    repo.close()
    reopened = SqlRepository(database)
    try:
        assert reopened.requests.get(request.id) == request
        assert reopened.revision == HEAD
        assert reopened.store.rows("SELECT version_num FROM alembic_version") == [{"version_num": HEAD}]
    finally:
        reopened.close()


def _picked(record, names):
    return {name: getattr(record, name) for name in names}


def test_a_request_and_a_plan_read_back_as_filed_and_as_changed(database):
    """Every field through the row mapping and back, lists empty and full, on both engines."""
    repo = SqlRepository(database)
    try:
        draft = new()
        request = repo.requests.add(draft, card_channel="COPS")
        filed = [f.name for f in fields(draft)]
        assert _picked(request, filed) == _picked(draft, filed)
        assert (request.state, request.candidates, request.progress_log) == (State.PENDING, (), ())
        task = Task(77, "linkFilerFromSbg", "doing", 40, None, 1234, 1515, NOW)
        changed: RequestFields = {
            "candidates": (task,),
            "progress_log": ((NOW, 10), (NOW + timedelta(minutes=5), 40)),
            "decided_at": NOW,
            "in_doubt_since": None,
        }
        repo.requests.update_fields(request.id, changed, NOW)
        assert _picked(repo.requests.get(request.id), changed) == changed
        repo.requests.update_fields(request.id, {"candidates": (), "progress_log": ()}, NOW)
        emptied = repo.requests.get(request.id)
        assert (emptied.candidates, emptied.progress_log) == ((), ())

        items = (PlanItem(1234, "ssd-001234", "3 TB", 12, 1.5), PlanItem(1240, "ssd-001240", "1 TB", None))
        for left_out in ((), (LeftOut(1250, "ssd-001250", "already copied"),)):
            plan_draft = PlanDraft(
                **vars(draft.filed()),
                source_service="pcc-192-0-2-15",
                source_datacenter_id=1337,
                dest_service="pcc-192-0-2-50",
                dest_datacenter_id=1515,
                items=items,
                left_out=left_out,
            )
            plan = repo.plans.get(repo.plans.add(plan_draft).id)
            planned = [f.name for f in fields(plan_draft)]
            assert _picked(plan, planned) == _picked(plan_draft, planned)
            assert plan.state == PlanState.PENDING
    finally:
        repo.close()


def test_compare_and_set_lets_exactly_one_caller_win(database):
    repo = SqlRepository(database)
    request = repo.requests.add(new(), card_channel="COPS")
    barrier = threading.Barrier(10)
    wins = []

    def approve(user):
        barrier.wait()
        if repo.requests.transition(
            request.id, State.PENDING, State.APPROVED, Change(actor=user, action="approved"), NOW
        ):
            wins.append(user)

    threads = [threading.Thread(target=approve, args=(f"U{i}",)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert [h.action for h in repo.audit.history(request.id)] == ["requested", "approved"]


def test_two_processes_on_one_database_still_have_one_winner(database):
    first, second = SqlRepository(database), SqlRepository(database)
    request = first.requests.add(new(), card_channel="COPS")
    change = Change(actor="UBOB", action="approved")
    assert first.requests.transition(request.id, State.PENDING, State.APPROVED, change, NOW)
    assert not second.requests.transition(request.id, State.PENDING, State.APPROVED, change, NOW)


def test_one_pause_shared_by_every_process_on_the_database_with_its_audit_lines(database):
    """`/pcc pause` on one replica is what every other reads before its next call; a second pause is
    refused by the database (the first one's words stay); resume ends it once."""
    first, second = SqlRepository(database), SqlRepository(database)
    pause = Pause("UBOB", "IAM rights", NOW)
    assert second.pause.current() is None
    assert first.pause.start(pause, AuditEntry(None, NOW, "UBOB", "paused", None, None, "IAM rights"))
    assert not second.pause.start(
        Pause("UCAROL", "", NOW), AuditEntry(None, NOW, "UCAROL", "paused", None, None)
    )
    assert second.pause.current() == pause
    assert second.pause.end(AuditEntry(None, NOW, "UCAROL", "resumed", None, None))
    assert not first.pause.end(AuditEntry(None, NOW, "UCAROL", "resumed", None, None))
    assert first.pause.current() is None
    lines = [(e.request_id, e.actor, e.action) for e, about in first.audit.since(NOW) if about is None]
    assert lines == [(None, "UBOB", "paused"), (None, "UCAROL", "resumed")]


def test_the_state_machine_is_enforced_by_the_repository(database):
    repo = SqlRepository(database)
    request = repo.requests.add(new(), card_channel="COPS")
    with pytest.raises(Conflict, match="pending cannot become done"):
        repo.requests.transition(request.id, State.PENDING, State.DONE, Change(actor="x", action="y"), NOW)
    assert repo.requests.get(request.id).state == State.PENDING


def test_one_active_request_per_filer_is_a_database_constraint(database):
    repo = SqlRepository(database)
    first = repo.requests.add(new(), card_channel="COPS")
    with pytest.raises(Conflict, match=f"request #{first.id}, pending"):
        repo.requests.add(new(), card_channel="COPS")
    repo.requests.transition(
        first.id, State.PENDING, State.REJECTED, Change(actor="UBOB", action="rejected"), NOW
    )
    assert (
        repo.requests.add(new(), card_channel="COPS").id > first.id
    )  # (PostgreSQL may skip ids: refused inserts)


def test_a_restore_and_a_copy_of_the_same_number_are_apart(database):
    """A restore's filer_id is its backup repository's id: repository 1234 does not hold datastore 1234,
    nor the other way round; two restores of one repository still conflict."""
    repo = SqlRepository(database)
    try:
        restore = replace(new(), route="batchRestore")
        first = repo.requests.add(restore, card_channel="COPS")
        copy = repo.requests.add(new(), card_channel="COPS")
        assert repo.requests.active_for_filer("pcc-192-0-2-15", 1234).id == copy.id
        assert repo.requests.active_for_filer("pcc-192-0-2-15", 1234, restore=True).id == first.id
        with pytest.raises(Conflict, match=f"request #{first.id}, pending"):
            repo.requests.add(restore, card_channel="COPS")
    finally:
        repo.close()


def test_a_notice_is_queued_once_per_key_and_sent_once(database):
    repo = SqlRepository(database)
    request = repo.requests.add(new(), card_channel="COPS")
    notice = NoticeDraft(NoticeKind.INCIDENT, "done-incident", "CINC", "done")
    change = Change(actor="pcc-bot", action="x", notices=[notice, notice])
    repo.requests.transition(request.id, State.PENDING, State.APPROVED, change, NOW)
    due = repo.notices.claim(NOW, 10, "replica-a", NOW + timedelta(minutes=2))
    assert [n.kind for n in due] == [NoticeKind.CARD, NoticeKind.INCIDENT]
    repo.notices.mark_failed(due[1].id, "429", NOW + timedelta(seconds=30))
    repo.notices.mark_sent(due[0].id, NOW)
    assert repo.notices.due(NOW, 10) == []
    assert [n.key for n in repo.notices.due(NOW + timedelta(seconds=31), 10)] == ["done-incident"]


def test_a_database_of_the_first_release_is_upgraded_in_place(tmp_path):
    path = str(tmp_path / "old.db")
    old = Database(path)
    migrations.apply(old, stop_before="m002_tracking_columns")
    old.table("requests").insert(
        {
            "source_service": "pcc-a",
            "source_datacenter_id": 1,
            "filer_id": 7,
            "dest_service": "pcc-b",
            "dest_datacenter_id": 2,
            "requester": "UALICE",
            "channel": "COPS",
            "state": "replicating",
            "created_at": NOW.isoformat(),
            "expires_at": NOW.isoformat(),
            "updated_at": NOW.isoformat(),
            "filer_name": "ssd-000007",
            "filer_size": "1 TB",
            "vm_total": 1,
            "source_zone": "sbg1a",
            "dest_zone": "rbx2a",
            "api_call": "POST /x",
            "task_id": 5,
        }
    )
    old.close()
    first = SqlRepository(path)  # finishes m002..m010 on open, then the Alembic history
    request = first.requests.get(1)
    assert request.state == State.REPLICATING and request.task_id == 5
    assert request.last_check_at is None and request.transferred is None
    first.requests.update_fields(request.id, {"last_check_at": NOW, "transferred": "1024"}, NOW)
    assert first.requests.get(request.id).transferred == "1024"
    assert first.requests.count_by_state() == {"replicating": 1}  # the counts of m008 picked up the old row
    applied = sqlite3.connect(path).execute("SELECT name FROM _sqlite_migrations").fetchall()
    assert [name for (name,) in applied] == LEGACY_MIGRATIONS
    assert first.revision == HEAD


def test_the_database_and_its_wal_are_readable_by_their_owner_only(tmp_path):
    import os
    import stat

    path = tmp_path / "pcc-bot.db"
    repo = SqlRepository(str(path))
    try:
        repo.requests.count_by_state()
        files = [p for p in tmp_path.iterdir() if p.name.startswith("pcc-bot.db")]
        assert {p.name for p in files} >= {"pcc-bot.db", "pcc-bot.db-wal"}
        assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in files), files
    finally:
        repo.close()


def test_the_filers_index_covers_exactly_the_active_states_so_a_new_one_needs_a_migration(database):
    """Migrations are frozen (their SQL never reads the live states): when the domain gains an active
    state, this fails until a new migration rebuilds the index."""
    from bot.domain import ACTIVE_STATES

    repo = SqlRepository(database)
    sql = (
        "SELECT indexdef AS sql FROM pg_indexes WHERE indexname = 'one_active_request_per_filer'"
        if repo.engine_name == "postgresql"
        else "SELECT sql FROM sqlite_master WHERE name = 'one_active_request_per_filer'"
    )
    try:
        (row,) = repo.store.rows(sql)
    finally:
        repo.close()
    indexed = set(re.findall(r"'([a-z_]+)'", row["sql"]))
    assert indexed == {state.value for state in ACTIVE_STATES}
