"""In-memory fakes of the ports, for unit tests of the service layer."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import domain
from bot.domain.restore import BackupRepository, BackupState
from bot.usecases.ports import Board, MessageRef, Offer, PlanBoard


@dataclass
class FakeClock:
    moment: datetime = field(default_factory=lambda: datetime(2026, 3, 12, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def _filer(filer_id: int) -> domain.Filer:
    return domain.Filer(
        filer_id=filer_id,
        name=f"ssd-{filer_id:06d}",
        size="2 TB",
        space_used_gb=100.0,
        space_free_gb=1948.0,
        vm_total=3,
        state="delivered",
    )


@dataclass
class FakeGateway:
    """PCCs: name -> (zone, certifications, {datacenter: [filer ids]})."""

    pccs: dict[str, tuple[str, domain.Certifications, dict[int, list[int]]]] = field(
        default_factory=lambda: {
            "pcc-src": ("sbg1a", domain.Certifications(hds="enabled"), {10: [100, 101]}),
            "pcc-plain": ("sbg1a", domain.Certifications(), {11: [110]}),
            "pcc-dst": ("rbx2a", domain.Certifications(hds="enabled"), {20: []}),
            "pcc-nohds": ("lim1c", domain.Certifications(), {30: []}),
            "pcc-sbg": ("sbg1a", domain.Certifications(hds="enabled"), {40: []}),
        }
    )
    tasks: dict[int, domain.Task] = field(default_factory=dict)
    posts: list[domain.MigrationSpec] = field(default_factory=list)
    post_error: domain.OvhApiError | None = None
    copy_statuses: dict[int, domain.CopyStatus] = field(default_factory=dict)
    resets: list[tuple[int, str]] = field(default_factory=list)
    removals: list[int] = field(default_factory=list)
    calls: list[tuple[str, dict[str, str | int], dict[str, object]]] = field(default_factory=list)
    copies: dict[int, int] = field(default_factory=lambda: {900: 20})  # restore filer id -> datacenter
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    route: str = "linkFilerFromSbg"
    expands: bool = False  # task lists answer whole objects (list expansion)
    #: Veeam: repositories by PCC, backup state by (PCC, datacenter) (absent: never subscribed).
    repositories: dict[str, list[BackupRepository]] = field(
        default_factory=lambda: {
            "pcc-dst": [
                BackupRepository(7, "veeam-01", "enabled", "gra", "ok", datetime(2021, 3, 10, tzinfo=UTC)),
                BackupRepository(8, "veeam-02", "enabled", "gra", "sync-required", None),
            ],
            "pcc-src": [
                BackupRepository(9, "veeam-sbg", "enabled", "rbx", "ok", datetime(2021, 3, 9, tzinfo=UTC))
            ],
        }
    )
    backups: dict[tuple[str, int], BackupState] = field(
        default_factory=lambda: {("pcc-dst", 20): BackupState("enabled", "advanced", "gra")}
    )
    restores: list[tuple[str, int, str, str | None]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))

    def _pcc(self, service: str) -> tuple[str, domain.Certifications, dict[int, list[int]]]:
        if service not in self.pccs:
            raise domain.NotFound(f"PCC {service} not found")
        return self.pccs[service]

    def get_pcc(self, service: str, *, fresh: bool = False) -> domain.Pcc:
        return domain.Pcc(service, self._pcc(service)[0])

    def list_pccs(self) -> list[domain.Pcc]:
        return [self.get_pcc(name) for name in sorted(self.pccs)]

    def list_datacenters(self, service: str) -> list[domain.Datacenter]:
        return [self.get_datacenter(service, dc) for dc in sorted(self._pcc(service)[2])]

    def get_certifications(self, service: str, *, fresh: bool = False) -> domain.Certifications:
        return self._pcc(service)[1]

    def get_datacenter(self, service: str, datacenter_id: int) -> domain.Datacenter:
        if datacenter_id not in self._pcc(service)[2]:
            raise domain.NotFound(f"datacenter {datacenter_id} not found in PCC {service}")
        return domain.Datacenter(datacenter_id, f"dc{datacenter_id}")

    def get_filer(self, service: str, datacenter_id: int, filer_id: int) -> domain.Filer:
        if filer_id not in self._pcc(service)[2].get(datacenter_id, []):
            raise domain.NotFound(
                f"filer {filer_id} not found in datacenter {datacenter_id} of PCC {service}"
            )
        return _filer(filer_id)

    def datacenter_filers(self, service: str, datacenter_id: int) -> list[domain.Filer]:
        self.get_datacenter(service, datacenter_id)
        return [_filer(f) for f in self._pcc(service)[2][datacenter_id]]

    def filer_listing(
        self, service: str, datacenter_id: int | None, *, now_only: bool = False
    ) -> domain.FilerListing:
        dcs = self._pcc(service)[2]
        wanted = [datacenter_id] if datacenter_id is not None else sorted(dcs)
        return domain.FilerListing(
            self.get_pcc(service),
            tuple(
                domain.DatacenterFilers(self.get_datacenter(service, dc), tuple(_filer(f) for f in dcs[dc]))
                for dc in wanted
            ),
        )

    @property
    def migration_route(self) -> str:
        return self.route

    def migration_call(self, spec: domain.MigrationSpec, route: str) -> str:
        return f"POST /dedicatedCloud/{spec.dest_service}/datacenter/{spec.dest_datacenter_id}/{route}"

    def route_absent(self, route: str) -> bool:
        return False

    def _new_task(self, name: str, filer_id: int | None, datacenter_id: int) -> int:
        task_id = next(self._ids)
        self.tasks[task_id] = domain.Task(
            task_id, name, "todo", 0, filer_id=filer_id, datacenter_id=datacenter_id, executed_at=self.now()
        )
        return task_id

    def start_migration(self, spec: domain.MigrationSpec, route: str) -> domain.StartedTask:
        self.posts.append(spec)
        if self.post_error is not None:
            raise self.post_error
        return domain.StartedTask(self._new_task(route, spec.filer_id, spec.dest_datacenter_id), "EU.q1")

    def copy_status(self, spec: domain.MigrationSpec) -> domain.CopyStatus | None:
        return self.copy_statuses.get(spec.filer_id)

    def filers_now(self, service: str, datacenter_id: int) -> list[domain.Filer]:
        return [replace(_filer(900), name="restore-000100")] if 900 in self.copies else []

    def filer_exists(self, service: str, datacenter_id: int, filer_id: int) -> bool:
        return filer_id in self.copies

    def mutate(
        self, call: str, params: Mapping[str, str | int], body: Mapping[str, object] | None
    ) -> domain.StartedTask:
        """An operation's call: a relaunch resumes its task, a removal starts a task on the copy, any
        other call starts a task named after it (on the filer its route names)."""
        self.calls.append((call, dict(params), dict(body or {})))
        if call == "resetTaskState":
            task_id = int(params["taskId"])
            self.resets.append((task_id, str((body or {}).get("reason", ""))))
            self.set_task(task_id, "doing", 50)
            return domain.StartedTask(task_id, "EU.q2")
        filer = int(params["filerId"]) if "filerId" in params else None
        if call == "removeFiler":
            self.removals.append(int(params["filerId"]))
        datacenter = int(params.get("datacenterId", 0))
        return domain.StartedTask(self._new_task(call, filer, datacenter), None)

    def get_task(self, service: str, task_id: int) -> domain.Task:
        if task_id not in self.tasks:
            raise domain.OvhNotFound(f"task {task_id} not found", status=404)
        return self.tasks[task_id]

    def tasks_of(self, service: str) -> list[domain.Task] | None:
        return list(self.tasks.values()) if self.expands else None

    def get_filer_task(self, service: str, datacenter_id: int, filer_id: int, task_id: int) -> domain.Task:
        return self.get_task(service, task_id)

    def find_tasks(self, service: str, datacenter_id: int, since: datetime) -> list[domain.Task]:
        return [
            t
            for t in self.tasks.values()
            if t.datacenter_id in (datacenter_id, None) and (t.executed_at is None or t.executed_at >= since)
        ]

    def filer_tasks(self, service: str, datacenter_id: int, filer_id: int) -> list[domain.Task]:
        return [t for t in self.tasks.values() if t.filer_id in (filer_id, None)]

    def backup_repositories(self, service: str) -> list[BackupRepository]:
        self._pcc(service)
        return list(self.repositories.get(service, []))

    def datacenter_backup(self, service: str, datacenter_id: int) -> BackupState | None:
        return self.backups.get((service, datacenter_id))

    def restore_call(self, service: str, datacenter_id: int, repository: str, job: str | None) -> str:
        return f"POST /dedicatedCloud/{service}/datacenter/{datacenter_id}/backup/batchRestore {repository}"

    def batch_restore(
        self, service: str, datacenter_id: int, repository: str, job: str | None
    ) -> domain.StartedTask:
        self.restores.append((service, datacenter_id, repository, job))
        if self.post_error is not None:
            raise self.post_error
        return domain.StartedTask(self._new_task("batchRestore", None, datacenter_id), "EU.q3")

    def set_task(self, task_id: int, state: str, progress: int | None = None) -> None:
        old = self.tasks[task_id]
        self.tasks[task_id] = domain.Task(
            task_id, old.name, state, progress, "detail", old.filer_id, old.datacenter_id, old.executed_at
        )


@dataclass
class FakeNotifier:
    cards: list[domain.MigrationRequest] = field(default_factory=list)
    updates: list[domain.MigrationRequest] = field(default_factory=list)
    texts: list[tuple[str, str, str | None]] = field(default_factory=list)
    boards: list[tuple[str, str | None, Board]] = field(default_factory=list)
    uploads: list[tuple[str, str, str]] = field(default_factory=list)
    plan_boards: list[PlanBoard] = field(default_factory=list)
    failures: int = 0  # how many next sends fail
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _maybe_fail(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise domain.NoticeNotDelivered("Slack answered 429 ratelimited", retry_after=2)

    def post_card(self, request: domain.MigrationRequest, paused: str = "") -> MessageRef:
        self._maybe_fail()
        self.cards.append(request)
        return MessageRef(request.channel, f"100.{next(self._ts)}")

    def update_card(self, request: domain.MigrationRequest, paused: str = "") -> None:
        self._maybe_fail()
        self.updates.append(request)

    def upload_private(self, user: str, filename: str, content: str, comment: str) -> None:
        self._maybe_fail()
        self.uploads.append((user, filename, content))

    def post_board(self, channel: str, board: Board) -> MessageRef:
        self._maybe_fail()
        self.boards.append((channel, None, board))
        return MessageRef(channel, f"300.{next(self._ts)}")

    def update_board(self, ref: MessageRef, board: Board) -> None:
        self._maybe_fail()
        self.boards.append((ref.channel, ref.ts, board))

    def post_plan(self, board: PlanBoard) -> MessageRef:
        self._maybe_fail()
        self.plan_boards.append(board)
        return MessageRef(board.plan.channel, f"400.{next(self._ts)}")

    def update_plan(self, board: PlanBoard) -> None:
        self._maybe_fail()
        self.plan_boards.append(board)

    def post_text(
        self, channel: str, text: str, thread_ts: str | None = None, offer: Offer | None = None
    ) -> MessageRef:
        self._maybe_fail()
        self.texts.append((channel, text, thread_ts))
        return MessageRef(channel, f"200.{next(self._ts)}")


@dataclass
class FakeDirectory:
    groups: dict[str, frozenset[str]] = field(default_factory=dict)

    def group_members(self, group_id: str, *, fresh: bool = False) -> frozenset[str]:
        return self.groups.get(group_id, frozenset())


def fail_once(monkeypatch: Any, target: object, method: str, error: Exception) -> None:
    """``target.method`` raises ``error`` at its first call, then does what it did."""
    real = getattr(target, method)
    failures = [error]

    def flaky(*args: Any) -> Any:
        if failures:
            raise failures.pop()
        return real(*args)

    monkeypatch.setattr(target, method, flaky)
