"""The simulated account: inventory, tasks that advance with a task clock, injected faults."""

from __future__ import annotations

import copy
import fnmatch
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.demo.simulator import inventory as catalogue


@dataclass
class Fault:
    """An injected failure: ``kind`` is an HTTP status, "timeout", "invalid-json" or "drop"."""

    method: str
    path: re.Pattern[str]
    kind: int | str
    times: int = 1
    seconds: float = 0.0
    body: dict[str, Any] | None = None  # the answer's body (default: the classic error format)
    headers: dict[str, str] | None = None  # extra answer headers (Retry-After…)


@dataclass
class SimTask:
    task_id: int
    service: str
    datacenter_id: int
    filer_id: int
    name: str
    started: float  # task-clock seconds
    fails: bool
    created_iso: str
    restore_name: str
    duration: float | None = None  # None: a replication (replication_seconds)
    removes: int | None = None  # a removeFiler task: the filer it deletes when done
    shows_filer_id: bool = True  # False: the API leaves filerId empty (the schema allows it)
    restores: str | None = None  # a batchRestore task: the repository it restores
    lacks_space: bool = False  # a batchRestore OVHcloud cancels after the call (datastores too full)


@dataclass
class Call:
    method: str
    path: str
    body: str
    status: int
    at: float = field(default_factory=time.monotonic)  # when it was answered


def busiest_minute(calls: list[Call]) -> int:
    """The most calls answered in any 60 seconds: what OVHcloud's fair-use rule counts."""
    moments = sorted(c.at for c in calls)
    start, most = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= 60:
            start += 1
        most = max(most, end - start + 1)
    return most


@dataclass
class Simulator:
    """The simulated API state. ``speed`` multiplies how fast tasks advance."""

    speed: float = 1.0
    latency: float = 0.0
    #: A misbehaving API: every page of an expanded list is the first one, whatever was asked.
    ignores_page_number: bool = False
    replication_seconds: float = catalogue.REPLICATION_SECONDS
    credentials: dict[str, str] = field(
        default_factory=lambda: {catalogue.DEMO_APPLICATION_KEY: catalogue.DEMO_APPLICATION_SECRET}
    )
    consumer_keys: frozenset[str] = frozenset({catalogue.DEMO_CONSUMER_KEY})
    wall_clock: Callable[[], float] = time.time
    inventory: dict[str, dict[str, Any]] = field(default_factory=catalogue.demo_inventory)
    #: Veeam Managed Backup by PCC: its repositories, and the datacenters' backup state.
    backups: dict[str, dict[str, Any]] = field(default_factory=catalogue.demo_backups)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    tasks: dict[int, SimTask] = field(default_factory=dict)
    pending_credentials: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: Each consumer key's access rules, enforced on every call (403 NOT_GRANTED_CALL) and reported by
    #: GET /auth/details. The demo key may call anything, like a key made for development.
    access_rules: dict[str, list[dict[str, str]]] = field(
        default_factory=lambda: {
            catalogue.DEMO_CONSUMER_KEY: [
                {"method": m, "path": "/*"} for m in ("GET", "POST", "PUT", "DELETE")
            ]
        }
    )
    #: List routes answer whole objects when asked (X-Pagination-Mode); False: ids only, as some do.
    expansion: bool = True
    #: False: new tasks leave their filerId empty, as the API may.
    task_filer_ids: bool = True
    #: False: the API description (GET /1.0/dedicatedCloud.json) leaves the copy routes out.
    describes_copy_routes: bool = True
    _offset: float = 0.0
    _origin: float = field(default_factory=time.monotonic)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(90001))
    _query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------ test and demo controls

    def task_clock(self) -> float:
        return (time.monotonic() - self._origin) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        """Move replication forward by ``seconds`` of simulated time."""
        with self._lock:
            self._offset += seconds

    def inject(
        self,
        method: str,
        path: str,
        kind: int | str,
        times: int = 1,
        seconds: float = 0.0,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` matching calls with ``kind`` (a status, "timeout", "drop",
        "invalid-json", or "headers": the answer as it is, with ``headers`` over its own), *after*
        handling them: a mutating call has run when its answer is lost."""
        with self._lock:
            self.faults.append(Fault(method.upper(), re.compile(path), kind, times, seconds, body, headers))

    def add_task(
        self,
        service: str,
        datacenter_id: int,
        name: str,
        filer_id: int | None = None,
        *,
        finished: bool = True,
    ) -> int:
        """A task the bot did not start (a decoy): by default already done, with the given filer id."""
        task = self._new_task(
            service,
            datacenter_id,
            filer_id or 0,
            name,
            restore_name="decoy",
            duration=600,
            shows_filer_id=filer_id is not None,
            ago=10**6 if finished else 0,
        )
        return task.task_id

    def _new_task(
        self, service: str, datacenter_id: int, filer_id: int, name: str, *, ago: float = 0, **details: Any
    ) -> SimTask:
        """A task started now (or ``ago`` seconds of task time ago), stamped with the wall clock."""
        with self._lock:
            task = SimTask(
                task_id=next(self._ids),
                service=service,
                datacenter_id=datacenter_id,
                filer_id=filer_id,
                name=name,
                started=self.task_clock() - ago,
                fails=details.pop("fails", False),
                created_iso=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(self.wall_clock())),
                **details,
            )
            self.tasks[task.task_id] = task
            return task

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        with self._lock:
            return [c for c in self.calls if c.method == method and regex.search(c.path)]

    def validate(self, consumer_key: str) -> None:
        """The account owner opened the validation URL: the pending key works, with its rules."""
        with self._lock:
            self.access_rules[consumer_key] = self.pending_credentials.pop(consumer_key)
            self.consumer_keys = self.consumer_keys | {consumer_key}

    def allowed(self, consumer_key: str, method: str, path: str) -> bool:
        rules = self.access_rules.get(consumer_key, [])
        return any(r["method"] == method and fnmatch.fnmatchcase(path, r["path"]) for r in rules)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method in (method, "*") and fault.path.search(path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def next_query_id(self) -> str:
        return f"EU.ext-sim.{next(self._query_ids):08x}"

    # ------------------------------------------------------------ tasks

    def task_view(self, task: SimTask) -> dict[str, Any]:
        elapsed = max(0.0, self.task_clock() - task.started)
        share = min(1.0, elapsed / (task.duration or self.replication_seconds))
        if task.removes is not None:
            state = "done" if share >= 1.0 else "doing"
            progress, description = int(share * 100), f"Removing datastore {task.restore_name}"
            if state == "done":
                self.inventory[task.service]["datacenters"][task.datacenter_id]["filers"].pop(
                    task.removes, None
                )
        elif task.restores is not None:
            state, progress, description = _restore_view(task, share)
        elif task.restore_name == "decoy":
            state = "done" if share >= 1.0 else "doing"
            progress, description = int(share * 100), "Another operation"
        elif task.fails and share >= 0.5:
            state, progress, description = "error", 50, "Replication failed: source filer unreachable"
        elif share >= 1.0:
            state, progress, description = "done", 100, f"Datastore {task.restore_name} mounted read-only"
            self._mount_copy(task)
        elif elapsed < 60:
            state, progress, description = "todo", 0, "Waiting to start"
        else:
            state, progress, description = "doing", int(share * 100), "Replicating data"
        return {
            "taskId": task.task_id,
            "name": task.name,
            "type": "generic",
            "state": state,
            "progress": progress,
            "description": description,
            "executionDate": task.created_iso,
            "lastModificationDate": task.created_iso,
            "endDate": None,
            "datacenterId": task.datacenter_id,
            "filerId": task.filer_id if task.shows_filer_id else None,
            "createdBy": "pcc-bot",
            "createdFrom": "API",
            "hostId": None,
            "userId": None,
        }

    def _mount_copy(self, task: SimTask) -> None:
        filers = self.inventory[task.service]["datacenters"][task.datacenter_id]["filers"]
        copy_id = 800000 + task.filer_id
        if copy_id not in filers:
            source = self.find_source_filer(task.filer_id)
            mounted = copy.deepcopy(source) if source else catalogue.filer_record(copy_id, 1, 0.0, 0)
            mounted.update({"filerId": copy_id, "name": task.restore_name, "billingType": "freeSpare"})
            filers[copy_id] = mounted

    def find_source_filer(self, filer_id: int) -> dict[str, Any] | None:
        for pcc in self.inventory.values():
            if pcc["location"] != "sbg1a":
                continue
            for dc in pcc["datacenters"].values():
                if filer_id in dc["filers"]:
                    return dict(dc["filers"][filer_id])
        return None

    def start_removal(self, service: str, datacenter_id: int, filer_id: int) -> dict[str, Any]:
        with self._lock:
            filer = self.inventory[service]["datacenters"][datacenter_id]["filers"][filer_id]
            named = str(filer["name"])
            return self.start_task(
                service, datacenter_id, filer_id, "removeFiler", restore_name=named, removes=filer_id
            )

    def start_task(
        self, service: str, datacenter_id: int, filer_id: int, name: str, **details: Any
    ) -> dict[str, Any]:
        """A task on a datastore, as an operation's call starts one (``name``: its task's name), as
        long as a removal's unless told (``duration``); its view, as the API answers it."""
        with self._lock:
            details.setdefault("duration", catalogue.REMOVAL_SECONDS)
            details.setdefault("restore_name", "")
            task = self._new_task(
                service, datacenter_id, filer_id, name, shows_filer_id=self.task_filer_ids, **details
            )
            return self.task_view(task)

    def start_restore(self, service: str, datacenter_id: int, repository: str) -> dict[str, Any]:
        with self._lock:
            task = self._new_task(
                service,
                datacenter_id,
                0,
                "batchRestore",
                restore_name=repository,
                duration=catalogue.RESTORE_SECONDS,
                shows_filer_id=False,
                restores=repository,
                lacks_space=repository == catalogue.NO_SPACE_REPOSITORY,
            )
            return self.task_view(task)

    def start_copy(self, service: str, datacenter_id: int, filer_id: int, route: str) -> dict[str, Any]:
        with self._lock:
            source = self.find_source_filer(filer_id) or {}
            number = str(source.get("name", f"x-{filer_id:06d}")).rsplit("-", 1)[-1]
            task = self._new_task(
                service,
                datacenter_id,
                filer_id,
                route,
                fails=filer_id == catalogue.FAILING_FILER_ID,
                restore_name=f"restore-{number}",
                shows_filer_id=self.task_filer_ids,
            )
            return self.task_view(task)


def _restore_view(task: SimTask, share: float) -> tuple[str, int, str]:
    """A batch restore: done with its VMs powered off, or cancelled for lack of space (as OVHcloud does
    after the call, the guide says)."""
    if task.lacks_space and share >= 0.1:
        return "canceled", 10, "Batch restore cancelled: not enough free space on the datastores"
    if share >= 1.0:
        return "done", 100, f"Batch restore of {task.restores} done: VMs restored powered off"
    return "doing", int(share * 100), f"Restoring the VMs of {task.restores}"
