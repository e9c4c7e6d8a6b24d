"""The model's stand-ins: the fake OVHcloud answering the next mutating call as told (and counting what
really ran), and a click's decision by name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

from bot.domain import MigrationSpec, OvhApiError, StartedTask, StorageError
from bot.domain.operations import with_buttons
from bot.usecases.decisions import Decisions
from tests.fakes import FakeGateway


class ProcessDied(Exception):
    """The bot stopped while a call was out."""


@dataclass
class FaultyGateway(FakeGateway):
    """The fake OVHcloud, answering the next mutating call as told, and counting what really ran."""

    answer: str = "ok"
    executed: Counter[tuple[str, int]] = field(default_factory=Counter)  # (operation, request key)

    def _mutating(self, kind: str, key: int, run: Callable[[], StartedTask]) -> StartedTask:
        answer, self.answer = self.answer, "ok"
        if answer == "refused":
            raise OvhApiError("refused [400 Client::BadRequest]", status=400, query_id="EU.q")
        if answer == "timeout-before-running":
            raise OvhApiError("network failure (timeout)", ambiguous=True)
        started = run()
        self.executed[(kind, key)] += 1
        if answer == "crash-after-running":
            raise ProcessDied(kind)
        if answer == "storage-fails-after-running":
            raise StorageError("the database refused the change: disk I/O error")
        if answer != "ok":
            raise OvhApiError("Injected failure [503]", status=503, ambiguous=True)
        return started

    def start_migration(self, spec: MigrationSpec, route: str) -> StartedTask:
        return self._mutating(
            "migration", spec.filer_id, lambda: super(FaultyGateway, self).start_migration(spec, route)
        )

    def mutate(
        self, call: str, params: Mapping[str, str | int], body: Mapping[str, object] | None
    ) -> StartedTask:
        def run() -> StartedTask:
            started = super(FaultyGateway, self).mutate(call, params, body)
            if call == "removeFiler":
                self.copies.pop(int(params["filerId"]), None)  # gone once its task ends; here at once
            return started

        kind, key = ("relaunch", "taskId") if call == "resetTaskState" else ("removal", "filerId")
        return self._mutating(kind, int(params[key]), run)


def decision_of(decisions: Decisions, name: str) -> Callable[..., object]:
    """A click's decision by name: an operation's button (its key: "retry", "remove_copy") asks
    ``Decisions.decide`` for its operation; the others are the method of that name."""
    operation = with_buttons().get(name)
    if operation is None:
        return cast(Callable[..., object], getattr(decisions, name))
    return lambda request_id, *rest: decisions.decide(request_id, operation, *rest)
