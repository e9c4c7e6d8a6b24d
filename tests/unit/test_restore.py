"""The Veeam batch restore through the use cases, on fakes: rules up front, four eyes, one call with
the repository's name, the task followed to its end, the notices in the thread and the incident room."""

from dataclasses import replace

import pytest

from bot.adapters.slack import cards, ids
from bot.adapters.slack.grammar import Restore, parse
from bot.domain import REMOVAL, RESTORE, Conflict, NotAllowed, OvhApiError, RuleViolation, State, UsageError
from bot.domain.restore import BackupState, RestoreSpec
from tests.world import INCIDENT

SPEC = RestoreSpec("pcc-dst", 20, "veeam-01")


def restore(world, spec=SPEC, user="UALICE"):
    return world.service.restores.request_restore(spec, requester=user, channel="COPS")


def test_a_restore_is_filed_approved_once_and_followed_to_done_with_its_own_notices(world):
    filed = restore(world, RestoreSpec("pcc-dst", 20, "veeam-01", backup_job_name="job-a"))
    assert filed.state == State.PENDING and filed.route == "batchRestore"
    title, blocks = cards.card_message(world.notifier.cards[-1])
    assert title.startswith("Veeam batch restore request") and "batchRestore" in str(blocks)
    assert "cannot be checked" in str(blocks)  # the space, said on the card
    with pytest.raises(NotAllowed):
        world.service.decisions.approve(filed.id, "UALICE")  # four eyes
    approved = world.service.decisions.approve(filed.id, "UBOB")
    with pytest.raises(Exception, match="already"):
        world.service.decisions.approve(filed.id, "UCAROL")
    assert world.gateway.restores == [("pcc-dst", 20, "veeam-01", "job-a")]  # one POST, as filed
    assert world.gateway.posts == []  # never the copy's call
    assert approved.state == State.REPLICATING
    started = [t for _, t, _ in world.notifier.texts if "Batch restore started" in t]
    assert len(started) == 1
    world.gateway.set_task(approved.task_id, "done", 100)
    world.service.poll_once()
    done = world.repo.requests.get(filed.id)
    assert done.state == State.DONE
    ended = [(c, t) for c, t, _ in world.notifier.texts if "powered off" in t]
    assert [c for c, _ in ended] == ["COPS", INCIDENT]
    assert "BatchRestore" in ended[0][1] and "Remove copy" not in ended[0][1]
    assert "Remove copy" not in str(cards.card_message(done)[1])  # nothing to remove after a restore
    actions = [e.action for e in world.repo.audit.history(filed.id)]
    assert "batch restore started" in actions and "replication done" in actions
    with pytest.raises(Conflict, match="left no copy to remove"):  # a click on an old card, or typed
        world.service.decisions.decide(filed.id, REMOVAL, "UBOB")
    assert world.gateway.calls == []


def test_the_audit_csv_carries_the_restores_call_and_repository(world):
    world.service.decisions.approve(restore(world).id, "UBOB")
    world.service.reading.export_audit(1, "UBOB")
    (_, _, audit), *_ = world.notifier.uploads
    started = next(line for line in audit.splitlines() if "batch restore started" in line)
    assert "veeam-01" in started and "backup/batchRestore" in started and "EU.q3" in started


def test_a_restore_cancelled_by_ovhcloud_is_reported_failed_with_the_reason(world):
    request = world.service.decisions.approve(restore(world).id, "UBOB")
    world.gateway.set_task(request.task_id, "canceled")
    world.service.poll_once()
    assert world.repo.requests.get(request.id).state == State.FAILED
    failures = [(c, t) for c, t, _ in world.notifier.texts if "failed" in t]
    assert [c for c, _ in failures] == ["COPS", INCIDENT]
    assert "`canceled`" in failures[0][1] and "lack space" in failures[0][1]


def test_the_rules_are_checked_up_front_and_named(world):
    world.gateway.backups[("pcc-dst", 20)] = BackupState("disabled", None, None)
    with pytest.raises(RuleViolation, match="backup enabled on the target") as refused:
        restore(world, RestoreSpec("pcc-dst", 20, "veeam-02"))
    assert "replicated repository" in str(refused.value)  # both rules at once
    del world.gateway.backups[("pcc-dst", 20)]
    with pytest.raises(RuleViolation, match="not subscribed"):
        restore(world)
    with pytest.raises(RuleViolation, match="not found in PCC pcc-dst"):
        restore(world, RestoreSpec("pcc-dst", 20, "nope"))
    assert world.gateway.restores == [] and world.repo.requests.recent(10) == []


def test_a_second_restore_of_the_same_repository_is_refused_while_the_first_is_active(world):
    first = restore(world)
    with pytest.raises(Exception, match=f"#{first.id}"):
        restore(world)


def test_another_pccs_repository_gets_the_copys_zone_and_certification_rules(world):
    world.gateway.backups[("pcc-nohds", 30)] = BackupState("enabled", "advanced", None)
    with pytest.raises(RuleViolation, match="HDS"):  # pcc-src has HDS, pcc-nohds has not
        restore(world, RestoreSpec("pcc-nohds", 30, "veeam-sbg", repository_service="pcc-src"))
    filed = restore(world, RestoreSpec("pcc-dst", 20, "veeam-sbg", repository_service="pcc-src"))
    assert filed.spec.source_service == "pcc-src" and filed.source_zone == "sbg1a"


def test_a_refused_restore_fails_and_an_unclear_answer_leaves_it_in_doubt_as_a_restore(world):
    world.gateway.post_error = OvhApiError("HTTP 403: Backup is not enabled", status=403)
    refused = world.service.decisions.approve(restore(world).id, "UBOB")
    assert refused.state == State.FAILED
    assert any("Nothing was restored" in t for _, t, _ in world.notifier.texts)
    world.gateway.post_error = OvhApiError("HTTP 503", ambiguous=True)
    doubt = world.service.decisions.approve(restore(world, RestoreSpec("pcc-dst", 20, "veeam-01")).id, "UBOB")
    assert doubt.state == State.NEEDS_ATTENTION and doubt.in_doubt is RESTORE
    assert [e.action for e in world.repo.audit.history(doubt.id)][-1] == "restore outcome unknown"
    card = str(cards.card_message(doubt)[1])
    assert "restore in doubt" in card and "batchRestore call got no clear answer" in card
    assert (
        "for a `batchRestore` task" in card and "filer" not in card.split("In doubt")[1].split("Candidate")[0]
    )
    closed = world.service.decisions.close_not_started(doubt.id, "UBOB")
    assert closed.state == State.FAILED
    assert any("Repository `veeam-01` can be restored again" in t for _, t, _ in world.notifier.texts)


def test_the_approve_confirm_says_what_the_restore_does(world):
    _title, text = cards.confirm_of(ids.APPROVE, restore(world))
    assert "batchRestore" in text and "powered off" in text and "replication" not in text


def test_the_grammar_reads_a_restore_and_names_a_bad_word():
    assert parse("restore pcc-dst 20 veeam-01 job-a") == Restore(
        RestoreSpec("pcc-dst", 20, "veeam-01", "job-a")
    )
    assert parse("restore pcc-dst 20 pcc-src/veeam-sbg") == Restore(
        RestoreSpec("pcc-dst", 20, "veeam-sbg", repository_service="pcc-src")
    )
    with pytest.raises(UsageError, match="repositoryName '<!channel>' is not a Veeam name"):
        parse("restore pcc-dst 20 <!channel>")
    with pytest.raises(UsageError, match=r"takes 3 or 4 \(or none, to open a form\) argument"):
        parse("restore pcc-dst 20")


def test_repositories_are_listed_with_their_replication(world):
    listed = world.service.restores.repositories("pcc-dst", "UALICE")
    assert [r.name for r in listed] == ["veeam-01", "veeam-02"]
    assert listed[0].replicated and not listed[1].replicated


def test_a_restore_interrupted_mid_call_is_put_in_doubt_as_a_restore(tmp_path):
    from tests.world import World

    world = World(str(tmp_path / "bot.db"))
    request = restore(world)
    stuck = world.killed_after_approval(request)
    assert stuck.state == State.NEEDS_ATTENTION and stuck.in_doubt is RESTORE
    interrupted = [e for e in world.repo.audit.history(request.id) if e.action == "interrupted"]
    assert [e.detail.split(":")[0] for e in interrupted] == ["restore"]
    assert world.gateway.restores == []


def test_a_stalled_restore_tells_support_what_the_task_is_about(world):
    request = world.service.decisions.approve(restore(world).id, "UBOB")
    world.gateway.set_task(request.task_id, "doing", 10)
    world.service.poll_once()
    world.clock.advance(hours=4)
    world.service.poll_once()
    stalls = [t for _, t, _ in world.notifier.texts if "may be stalled" in t]
    assert stalls and "batch restore of repository veeam-01 of pcc-dst" in stalls[0]
    assert "copy of filer" not in stalls[0]


def test_lists_and_boards_say_a_restore_is_restoring(world):
    from bot.adapters.slack import listings

    running = world.service.decisions.approve(restore(world).id, "UBOB")
    assert "restoring" in str(listings.list_message([running]))
    assert "restoring" in cards.request_line(running) and "replicating" not in cards.request_line(running)


def test_a_repository_whose_id_is_a_datastores_id_blocks_neither(world):
    """Repository 100 of pcc-src and datastore 100 of pcc-src: restoring one does not hold the other."""
    repository = world.gateway.repositories["pcc-src"][0]
    world.gateway.repositories["pcc-src"] = [replace(repository, repository_id=100)]
    restored = restore(world, RestoreSpec("pcc-dst", 20, repository.name, repository_service="pcc-src"))
    copied = world.file()  # datastore 100 of pcc-src (tests/world.py SPEC)
    assert (restored.spec.filer_id, copied.spec.filer_id) == (100, 100)
    assert {restored.state, copied.state} == {State.PENDING}
