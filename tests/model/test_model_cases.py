"""The model-based test's scenarios, every step, on a real PostgreSQL (one repository contract), and
the fixed cases `make soak` found, kept in `make test`."""

import pytest

from bot.domain import PlanState
from tests.databases import shared_postgres
from tests.model.test_model import TIME_LIMIT, Lifecycle


class LifecycleOnPostgres(Lifecycle):
    def where(self) -> str:
        return shared_postgres().fresh()


LifecycleOnPostgres.TestCase.settings = Lifecycle.TestCase.settings
TestLifecycleOnPostgres = pytest.mark.timeout(TIME_LIMIT)(LifecycleOnPostgres.TestCase)


def test_a_dispatch_cut_by_a_crash_resumes_at_the_restart_and_sends_nothing_twice():
    """The scenario the soak finds, kept as a fixed case: the process dies on a plan's first POST."""
    model = Lifecycle()
    try:
        model.file_plan("UALICE", ())
        (plan,) = model.repo.plans.in_states([PlanState.PENDING])
        model.gateway.answer = "crash-after-running"
        model._try(model.service.plans.approve, plan.id, "UBOB")  # dies, and restarts
        model.every_datastore_of_an_approved_plan_is_sent_cancelled_or_refused()
        model.no_call_runs_twice_for_one_decision()
        model.at_most_one_active_request_per_filer()
        assert sum(model.gateway.executed.values()) == 2  # both datastores' POSTs, once each
    finally:
        model.teardown()
