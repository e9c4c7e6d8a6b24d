"""A service wired to in-memory fakes and a real SQLite repository, for the use-case tests."""

from datetime import timedelta
from typing import Any

from bot.adapters.sql.repository import SqlRepository
from bot.domain import MigrationSpec, State
from bot.usecases.ports import Change
from bot.usecases.service import PccService
from bot.usecases.settings import ServiceSettings
from tests.fakes import FakeClock, FakeDirectory, FakeGateway, FakeNotifier

#: The timings a test's service runs with, unless it says otherwise (a day to approve, a poll a minute,
#: a stall warning after three hours).
TIMES: dict[str, Any] = {
    "approval_ttl": timedelta(days=1),
    "poll_period": timedelta(seconds=60),
    "stall_after": timedelta(hours=3),
}
#: The service's ports, as a test's world names its fakes (``people`` optional).
PORTS = ("gateway", "repo", "notifier", "directory", "settings", "clock", "people")


def service_of(world: Any) -> PccService:
    """A service on the fakes ``world`` holds under the ports' names."""
    return PccService(**{name: getattr(world, name) for name in PORTS if hasattr(world, name)})


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
            approvers=frozenset({"UBOB", "SONCALL"}), incident_channel=INCIDENT, **{**TIMES, **settings}
        )
        self.repo = SqlRepository(path)
        self.people = None  # each person's language (the People port); None: the channel's for all
        self.service = self._service()

    def _service(self):
        return service_of(self)

    def restart(self):
        self.repo.close()
        self.repo = SqlRepository(self.path)
        self.service = self._service()

    def killed_after_approval(self, request):
        """The approval's compare-and-set recorded, then the process dies before calling the API; the
        restarted bot reconciles. The request as it is then."""
        approved = Change(actor="UBOB", action="approved")
        assert self.repo.requests.transition(
            request.id, State.PENDING, State.APPROVED, approved, self.clock.now()
        )
        self.restart()
        self.service.reconcile()
        return self.repo.requests.get(request.id)

    def file(self, spec=SPEC, user="UALICE"):
        return self.service.filing.request_migration(spec, requester=user, channel="COPS")
