"""The simulated API routes: the public API's paths and JSON shapes, both error formats."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.demo.simulator.state import Simulator


class _ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body


def _classic(status: int, error_class: str, message: str) -> _ApiError:
    return _ApiError(status, {"class": error_class, "message": message})


def _auth_layer(status: int, code: str, message: str) -> _ApiError:
    reasons = {400: "Bad Request", 403: "Forbidden"}
    return _ApiError(
        status, {"errorCode": code, "httpCode": f"{status} {reasons.get(status, '')}", "message": message}
    )


def _not_found(what: str) -> _ApiError:
    return _classic(404, "Client::NotFound", f"The requested object ({what}) does not exist")


def _one(table: dict[int, Any], key: str, what: str) -> Any:
    """The entry of ``table`` at the id ``key`` (as typed in the path), else a 404 naming ``what``."""
    found = table.get(int(key))
    if found is None:
        raise _not_found(what)
    return found


#: method, path pattern, handler, and for a list route the handler of one of its items (expansion)
Route = tuple[str, re.Pattern[str], Callable[..., Any], Callable[..., Any] | None, str]


class _Api:
    """Route table and handlers over a Simulator's state."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        pcc = r"/dedicatedCloud/(?P<sn>[^/]+)"
        dc = pcc + r"/datacenter/(?P<dc>\d+)"
        table: list[tuple[str, str, Callable[..., Any], Callable[..., Any] | None, str]] = [
            ("GET", r"/auth/details", self.auth_details, None, ""),
            ("GET", r"/dedicatedCloud/location", self.locations, None, ""),
            ("GET", r"/dedicatedCloud", self.services, self.get_pcc, "sn"),
            ("GET", pcc, self.get_pcc, None, ""),
            ("GET", pcc + r"/(?P<option>hds|pcidss)", self.get_option, None, ""),
            ("GET", pcc + r"/datacenter", self.datacenters, self.get_datacenter, "dc"),
            ("GET", dc, self.get_datacenter, None, ""),
            ("GET", pcc + r"/filer", self.global_filers, self.get_global_filer, "filer"),
            ("GET", pcc + r"/filer/(?P<filer>\d+)", self.get_global_filer, None, ""),
            ("GET", dc + r"/filer", self.filers, self.get_filer, "filer"),
            ("GET", dc + r"/filer/(?P<filer>\d+)", self.get_filer, None, ""),
            ("POST", dc + r"/(?P<route>linkFilerFromSbg|copyFiler)", self.copy_filer, None, ""),
            ("POST", dc + r"/filer/(?P<filer>\d+)/remove", self.remove_filer, None, ""),
            ("GET", dc + r"/filer/(?P<filer>\d+)/task", self.filer_tasks, self.get_filer_task, "task"),
            ("GET", dc + r"/filer/(?P<filer>\d+)/task/(?P<task>\d+)", self.get_filer_task, None, ""),
            ("GET", dc + r"/copyFilerStatus", self.copy_status, None, ""),
            ("GET", pcc + r"/task", self.task_list, self.get_task, "task"),
            ("GET", pcc + r"/task/(?P<task>\d+)", self.get_task, None, ""),
            ("POST", pcc + r"/task/(?P<task>\d+)/resetTaskState", self.reset_task, None, ""),
            ("GET", pcc + r"/globalTasks", self.task_list, self.get_task, "task"),
            ("GET", pcc + r"/backupRepository", self.repositories, self.get_repository, "repo"),
            ("GET", pcc + r"/backupRepository/(?P<repo>\d+)", self.get_repository, None, ""),
            ("GET", dc + r"/backup", self.get_backup, None, ""),
            ("POST", dc + r"/backup/batchRestore", self.batch_restore, None, ""),
        ]
        self.routes: list[Route] = [(m, re.compile(p), h, item, key) for m, p, h, item, key in table]

    def _pcc(self, sn: str) -> dict[str, Any]:
        if sn not in self.sim.inventory:
            raise _not_found(f"dedicatedCloud {sn}")
        return self.sim.inventory[sn]

    def _dc(self, sn: str, dc: str) -> dict[str, Any]:
        datacenters = self._pcc(sn)["datacenters"]
        if int(dc) not in datacenters:
            raise _not_found(f"datacenter {dc}")
        return dict(datacenters[int(dc)])

    def auth_details(self, consumer: str, **_: Any) -> Any:
        return {
            "account": "xx1234-ovh",
            "method": "account",
            "identities": ["urn:v1:eu:identity:account:xx1234-ovh"],
            "allowedRoutes": self.sim.access_rules.get(consumer, []),
            "description": "pcc-bot",
        }

    def locations(self, **_: Any) -> Any:
        return sorted({p["location"] for p in self.sim.inventory.values()})

    def services(self, **_: Any) -> Any:
        return sorted(self.sim.inventory)

    def get_pcc(self, sn: str, **_: Any) -> Any:
        pcc = self._pcc(sn)
        return {
            "serviceName": sn,
            "location": pcc["location"],
            "description": pcc["description"],
            "state": "delivered",
            "commercialRange": "2016",
            "managementInterface": "vsphere",
            "generation": "2.0",
            "productReference": "EPCC",
            "billingType": "monthly",
            "version": {"major": "7.0", "minor": "3", "build": "0"},
            "advancedSecurity": False,
            "bandwidth": "1 Gbps",
            "canMigrateToVCD": False,
            "certifiedInterfaceUrl": f"https://{sn}.ovh.com",
            "spla": False,
            "sslV3": None,
            "userAccessPolicy": "open",
            "userLimitConcurrentSession": 0,
            "userLogoutPolicy": "first",
            "userSessionTimeout": 900,
            "vScopeUrl": f"https://{sn}.ovh.com/vScope",
            "webInterfaceUrl": f"https://{sn}.ovh.com/ui",
            "servicePackName": None,
            "iam": None,
        }

    def get_option(self, sn: str, option: str, **_: Any) -> Any:
        state = self._pcc(sn)[option]
        if state is None:
            raise _not_found(f"{option} option of {sn}")
        return {"state": state}

    def datacenters(self, sn: str, **_: Any) -> Any:
        return sorted(self._pcc(sn)["datacenters"])

    def get_datacenter(self, sn: str, dc: str, **_: Any) -> Any:
        data = self._dc(sn, dc)
        return {
            "datacenterId": int(dc),
            "name": data["name"],
            "description": "",
            "commercialName": data["commercialName"],
            "commercialRangeName": "2016",
            "isRemovable": False,
            "version": "7.0",
        }

    def global_filers(self, sn: str, **_: Any) -> Any:
        return sorted(self._pcc(sn).get("global_filers", {}))

    def get_global_filer(self, sn: str, filer: str, **_: Any) -> Any:
        return _one(self._pcc(sn).get("global_filers", {}), filer, f"filer {filer}")

    def filers(self, sn: str, dc: str, **_: Any) -> Any:
        return sorted(self._dc(sn, dc)["filers"])

    def get_filer(self, sn: str, dc: str, filer: str, **_: Any) -> Any:
        return _one(self._dc(sn, dc)["filers"], filer, f"filer {filer}")

    def copy_filer(self, sn: str, dc: str, route: str, body: Any, **_: Any) -> Any:
        self._dc(sn, dc)
        if not isinstance(body, dict) or not isinstance(body.get("filerId"), int):
            raise _classic(400, "Client::BadRequest", "Invalid signature... missing parameter filerId")
        if route == "copyFiler" and body.get("accept") is not True:
            raise _classic(400, "Client::BadRequest", "You must accept the conditions (accept: true)")
        if self.sim.find_source_filer(body["filerId"]) is None:
            raise _classic(404, "Client::NotFound", f"Filer {body['filerId']} not found in SBG")
        return self.sim.start_copy(sn, int(dc), body["filerId"], route)

    def remove_filer(self, sn: str, dc: str, filer: str, **_: Any) -> Any:
        filers = self._dc(sn, dc)["filers"]
        if int(filer) not in filers:
            raise _not_found(f"filer {filer}")
        if any(t.removes == int(filer) for t in self.sim.tasks.values()):
            raise _classic(409, "Client::Conflict", f"Filer {filer} is already being removed")
        return self.sim.start_removal(sn, int(dc), int(filer))

    def _filer_task_list(self, sn: str, dc: str, filer: str) -> list[Any]:
        if int(filer) not in self._dc(sn, dc)["filers"]:
            raise _not_found(f"filer {filer}")
        return [
            t
            for t in self.sim.tasks.values()
            if t.service == sn and t.datacenter_id == int(dc) and int(filer) in (t.filer_id, t.removes)
        ]

    def filer_tasks(self, sn: str, dc: str, filer: str, **_: Any) -> Any:
        return sorted(t.task_id for t in self._filer_task_list(sn, dc, filer))

    def get_filer_task(self, sn: str, dc: str, filer: str, task: str, **_: Any) -> Any:
        for found in self._filer_task_list(sn, dc, filer):
            if found.task_id == int(task):
                return self.sim.task_view(found)
        raise _not_found(f"task {task}")

    def copy_status(self, sn: str, dc: str, **_: Any) -> Any:
        self._dc(sn, dc)
        out = []
        for task in self.sim.tasks.values():
            if task.service == sn and task.datacenter_id == int(dc) and task.name == "copyFiler":
                view = self.sim.task_view(task)
                out.append(
                    {
                        "id": task.task_id,
                        "filerId": task.filer_id,
                        # the schema: "SBG filer name", the source's, not the copy's
                        "filerName": str(
                            (self.sim.find_source_filer(task.filer_id or 0) or {}).get("name", "")
                        ),
                        "domain": sn,
                        "status": view["state"],
                        "progress": view["progress"],
                        "transfered": str(view["progress"] * 10**9),
                        "creationDate": task.created_iso,
                        "doneDate": None,
                    }
                )
        return out

    def task_list(self, sn: str, query: dict[str, list[str]], **_: Any) -> Any:
        self._pcc(sn)
        wanted_dc = query.get("datacenterId", [None])[0]
        wanted_filer = query.get("filerId", [None])[0]
        wanted_name = query.get("name", [None])[0]
        since = query.get("executionDate.from", [None])[0]
        ids = []
        for task in self.sim.tasks.values():
            if task.service != sn:
                continue
            if wanted_dc and str(task.datacenter_id) != wanted_dc:
                continue
            if wanted_filer and (not task.shows_filer_id or str(task.filer_id) != wanted_filer):
                continue
            if since and datetime.fromisoformat(task.created_iso) < datetime.fromisoformat(since):
                continue
            if wanted_name and wanted_name.lower() not in task.name.lower():
                continue
            ids.append(task.task_id)
        return sorted(ids)

    def get_task(self, sn: str, task: str, **_: Any) -> Any:
        self._pcc(sn)
        found = self.sim.tasks.get(int(task))
        if found is None or found.service != sn:
            raise _not_found(f"task {task}")
        return self.sim.task_view(found)

    def reset_task(self, sn: str, task: str, body: Any, **_: Any) -> Any:
        """Relaunch a task in `error`: it resumes where it stopped and, this time, completes."""
        if not isinstance(body, dict) or not isinstance(body.get("reason"), str) or not body["reason"]:
            raise _classic(400, "Client::BadRequest", "Missing parameter reason")
        found = self.sim.tasks.get(int(task))
        if found is None or found.service != sn:
            raise _not_found(f"task {task}")
        if self.sim.task_view(found)["state"] != "error":
            raise _classic(403, "Client::Forbidden", "The task is not in error state")
        found.fails = False
        found.started = self.sim.task_clock() - self.sim.replication_seconds / 2
        return self.sim.task_view(found)

    def _backups(self, sn: str) -> dict[str, Any]:
        self._pcc(sn)
        return self.sim.backups.get(sn, {})

    def repositories(self, sn: str, **_: Any) -> Any:
        return sorted(self._backups(sn).get("repositories", {}))

    def get_repository(self, sn: str, repo: str, **_: Any) -> Any:
        return _one(self._backups(sn).get("repositories", {}), repo, f"backupRepository {repo}")

    def get_backup(self, sn: str, dc: str, **_: Any) -> Any:
        self._dc(sn, dc)
        found = self._backups(sn).get("datacenters", {}).get(int(dc))
        if found is None:
            raise _not_found(f"backup of datacenter {dc}")
        return found

    def batch_restore(self, sn: str, dc: str, body: Any, **_: Any) -> Any:
        """Every VM of a repository (of any PCC of the account) restored into the datacenter."""
        name = body.get("backupRepositoryName") if isinstance(body, dict) else None
        if not isinstance(name, str) or not isinstance(body.get("backupJobName", ""), str):
            raise _classic(
                400, "Client::BadRequest", "Invalid signature... missing parameter backupRepositoryName"
            )
        if self.get_backup(sn, dc)["state"] != "enabled":
            raise _classic(403, "Client::Forbidden", f"Backup is not enabled on datacenter {dc}")
        known = {r["repositoryName"] for b in self.sim.backups.values() for r in b["repositories"].values()}
        if name not in known:
            raise _classic(404, "Client::NotFound", f"Backup repository {name} not found")
        return self.sim.start_restore(sn, int(dc), name)

    def dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        pages: tuple[int, int] | None = None,
        consumer: str = "",
    ) -> tuple[Any, dict[str, str]]:
        """The answer and its extra headers. A list route asked for whole objects (``pages``: size,
        number) answers that page of objects, with the X-Pagination-* headers."""
        for route_method, pattern, handler, item, key in self.routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                params = match.groupdict()
                with self.sim._lock:
                    result = handler(**params, query=query, body=body, consumer=consumer)
                    if item is None or pages is None:
                        return result, {}
                    size, number = pages
                    chosen = result[(number - 1) * size : number * size]
                    objects = [item(**{**params, key: str(i)}, query=query, body=None) for i in chosen]
                headers = {
                    "X-Pagination-Elements": str(len(result)),
                    "X-Pagination-Size": str(size),
                    "X-Pagination-Number": str(number),
                }
                return objects, headers
        raise _classic(404, "Client::NotFound", "Got an invalid (or empty) URL")
