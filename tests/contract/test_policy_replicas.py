"""Quorum approvals across replicas: the last needed approvals racing on two services that share one
database, on each engine."""

import threading

from bot.adapters.sql.repository import SqlRepository
from bot.domain import Conflict, State
from bot.usecases.service import PccService
from tests.unit.test_policy import _policy
from tests.world import World


def test_six_racing_last_clicks_over_two_replicas_send_one_post(database):
    """Two services (replicas) on one database, SQLite and PostgreSQL: one POST, one decision."""
    world = World(path=database, approval_policy=_policy())
    world.directory.groups.update({"SSECURITY": frozenset({"USEC", "UERIN"}), "SOPS": frozenset({"UOPS"})})
    other = PccService(
        gateway=world.gateway,
        repo=SqlRepository(world.path),
        notifier=world.notifier,
        directory=world.directory,
        settings=world.settings,
        clock=world.clock,
    )
    request = world.file()
    world.service.decisions.approve(request.id, "UBOB")
    clicks = [(world.service, "USEC"), (other, "UERIN"), (world.service, "UOPS"), (other, "USEC")]
    clicks += [(other, "UDAVE"), (world.service, "UERIN")]
    barrier, outcomes = threading.Barrier(len(clicks)), []

    def click(service, user):
        barrier.wait()
        try:
            outcomes.append(service.decisions.approve(request.id, user).state)
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=click, args=c) for c in clicks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(world.gateway.posts) == 1 and len(outcomes) == 6
    assert world.repo.requests.get(request.id).state == State.REPLICATING
    actions = [e.action for e in world.repo.audit.history(request.id)]
    assert actions.count("approved") == 1
    # each approval counted has its own audit line, whichever click won the race
    assert actions.count("approval counted") == len(world.repo.votes.of(f"approve-{request.id}"))
