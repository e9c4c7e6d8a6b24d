"""A local OVHcloud API simulator: the real paths and JSON shapes of reference/ovh-api.md.

It checks python-ovh's request signatures, serves a documented demo inventory (README, "Demo
inventory"), advances replication tasks over time at a configurable speed, and injects faults.
Used by `pcc-bot console`, `pcc-bot simulator` and the tests. Nothing here is used against the
real API.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

DEMO_APPLICATION_KEY = "demo-application-key"
DEMO_APPLICATION_SECRET = "demo-application-secret"
DEMO_CONSUMER_KEY = "demo-consumer-key"

#: Simulated seconds a replication takes (the guides speak of "hours").
REPLICATION_SECONDS = 4 * 3600
#: Simulated seconds a datastore removal takes.
REMOVAL_SECONDS = 600
#: A filer whose replication ends in `error`, to show the failure path.
FAILING_FILER_ID = 1240
#: Seconds a signed request's timestamp may differ from the simulator's clock.
MAX_CLOCK_SKEW = 180


def filer_record(
    filer_id: int, size_tb: int, used_gb: float, vms: int, prefix: str = "ssd"
) -> dict[str, Any]:
    size_gb = size_tb * 1024
    return {
        "filerId": filer_id,
        "name": f"{prefix}-{filer_id:06d}",
        "fullProfile": f"{size_tb}t-{prefix}",
        "profile": f"{size_tb}t-{prefix}",
        "size": {"unit": "TB", "value": size_tb},
        "spaceUsed": used_gb,
        "spaceFree": round(size_gb - used_gb, 1),
        "spaceProvisionned": used_gb,
        "vmTotal": vms,
        "state": "delivered",
        "connectionState": "online",
        "activeNode": "master",
        "master": f"nfs-{filer_id}.sbg.ovh.net",
        "billingType": "monthly",
        "isManagedByOvh": False,
    }


def demo_inventory() -> dict[str, dict[str, Any]]:
    """PCCs by service name. ``hds``/``pcidss`` None means never subscribed: the API answers 404."""

    def pcc(zone: str, description: str, hds: str | None, pcidss: str | None, dcs: dict[int, Any]) -> Any:
        return {
            "location": zone,
            "description": description,
            "hds": hds,
            "pcidss": pcidss,
            "datacenters": dcs,
        }

    def dc(name: str, commercial: str, *filers: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "commercialName": commercial, "filers": {f["filerId"]: f for f in filers}}

    return {
        "pcc-192-0-2-15": pcc(
            "sbg1a",
            "Strasbourg production (HDS)",
            "enabled",
            "disabled",
            {
                1337: dc(
                    "sbg-prod",
                    "SDDC-HDS",
                    filer_record(1234, 3, 2150.5, 12),
                    filer_record(1235, 1, 610.0, 4),
                    filer_record(1236, 2, 120.0, 1, prefix="nfs"),
                ),
                1338: dc(
                    "sbg-prod-2", "SDDC-HDS", filer_record(1240, 1, 800.0, 6), filer_record(1241, 1, 75.0, 2)
                ),
            },
        ),
        "pcc-192-0-2-16": pcc(
            "sbg1a",
            "Strasbourg payments (PCI-DSS)",
            "disabled",
            "enabled",
            {
                1400: dc("sbg-pay", "SDDC-PCIDSS", filer_record(1401, 2, 1500.0, 9)),
            },
        ),
        "pcc-192-0-2-17": pcc(
            "sbg1a",
            "Strasbourg lab",
            None,
            None,
            {
                1500: dc("sbg-lab", "SDDC", filer_record(1501, 1, 300.0, 3), filer_record(1502, 1, 10.0, 0)),
            },
        ),
        "pcc-192-0-2-50": pcc(
            "rbx2a",
            "Roubaix recovery (HDS)",
            "enabled",
            "disabled",
            {
                1515: dc("rbx-rec", "SDDC-HDS", filer_record(5001, 2, 100.0, 1)),
                1516: dc("rbx-rec-2", "SDDC-HDS"),
            },
        ),
        "pcc-192-0-2-51": pcc(
            "rbx2b",
            "Roubaix general",
            None,
            None,
            {
                1520: dc("rbx-gen", "SDDC"),
            },
        ),
        "pcc-192-0-2-60": pcc(
            "lim1c",
            "Frankfurt payments (PCI-DSS)",
            "disabled",
            "enabled",
            {
                1600: dc("lim-pay", "SDDC-PCIDSS"),
            },
        ),
        "pcc-192-0-2-70": pcc(
            "eri1c",
            "London general",
            "disabled",
            "disabled",
            {
                1700: dc("eri-gen", "SDDC"),
            },
        ),
    }


@dataclass
class Fault:
    """An injected failure: ``kind`` is an HTTP status, "timeout", "invalid-json" or "drop"."""

    method: str
    path: re.Pattern[str]
    kind: int | str
    times: int = 1
    seconds: float = 0.0


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


@dataclass
class Call:
    method: str
    path: str
    body: str
    status: int


@dataclass
class Simulator:
    """The simulated API state. ``speed`` multiplies how fast tasks advance."""

    speed: float = 1.0
    latency: float = 0.0
    replication_seconds: float = REPLICATION_SECONDS
    credentials: dict[str, str] = field(
        default_factory=lambda: {DEMO_APPLICATION_KEY: DEMO_APPLICATION_SECRET}
    )
    consumer_keys: frozenset[str] = frozenset({DEMO_CONSUMER_KEY})
    wall_clock: Callable[[], float] = time.time
    inventory: dict[str, dict[str, Any]] = field(default_factory=demo_inventory)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    tasks: dict[int, SimTask] = field(default_factory=dict)
    pending_credentials: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: What GET /auth/details reports as the consumer key's allowed routes.
    allowed_routes: list[dict[str, str]] = field(
        default_factory=lambda: [
            {"method": "GET", "path": "/dedicatedCloud/*"},
            {"method": "POST", "path": "/dedicatedCloud/*/datacenter/*/linkFilerFromSbg"},
            {"method": "POST", "path": "/dedicatedCloud/*/datacenter/*/copyFiler"},
        ]
    )
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

    def inject(self, method: str, path: str, kind: int | str, times: int = 1, seconds: float = 0.0) -> None:
        with self._lock:
            self.faults.append(Fault(method.upper(), re.compile(path), kind, times, seconds))

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        with self._lock:
            return [c for c in self.calls if c.method == method and regex.search(c.path)]

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
            "filerId": task.filer_id,
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
            mounted = copy.deepcopy(source) if source else filer_record(copy_id, 1, 0.0, 0)
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
            task = SimTask(
                task_id=next(self._ids),
                service=service,
                datacenter_id=datacenter_id,
                filer_id=filer_id,
                name="removeFiler",
                started=self.task_clock(),
                fails=False,
                created_iso=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(self.wall_clock())),
                restore_name=str(filer["name"]),
                duration=REMOVAL_SECONDS,
                removes=filer_id,
            )
            self.tasks[task.task_id] = task
            return self.task_view(task)

    def start_copy(self, service: str, datacenter_id: int, filer_id: int, route: str) -> dict[str, Any]:
        with self._lock:
            task_id = next(self._ids)
            source = self.find_source_filer(filer_id) or {}
            number = str(source.get("name", f"x-{filer_id:06d}")).rsplit("-", 1)[-1]
            task = SimTask(
                task_id=task_id,
                service=service,
                datacenter_id=datacenter_id,
                filer_id=filer_id,
                name=route,
                started=self.task_clock(),
                fails=filer_id == FAILING_FILER_ID,
                created_iso=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(self.wall_clock())),
                restore_name=f"restore-{number}",
            )
            self.tasks[task_id] = task
            return self.task_view(task)


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


Route = tuple[str, re.Pattern[str], Callable[..., Any]]


class _Api:
    """Route table and handlers over a Simulator's state."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        pcc = r"/dedicatedCloud/(?P<sn>[^/]+)"
        dc = pcc + r"/datacenter/(?P<dc>\d+)"
        self.routes: list[Route] = [
            ("GET", re.compile(r"/auth/details"), self.auth_details),
            ("GET", re.compile(r"/dedicatedCloud/location"), self.locations),
            ("GET", re.compile(r"/dedicatedCloud"), self.services),
            ("GET", re.compile(pcc), self.get_pcc),
            ("GET", re.compile(pcc + r"/(?P<option>hds|pcidss)"), self.get_option),
            ("GET", re.compile(pcc + r"/datacenter"), self.datacenters),
            ("GET", re.compile(dc), self.get_datacenter),
            ("GET", re.compile(dc + r"/filer"), self.filers),
            ("GET", re.compile(dc + r"/filer/(?P<filer>\d+)"), self.get_filer),
            ("POST", re.compile(dc + r"/(?P<route>linkFilerFromSbg|copyFiler)"), self.copy_filer),
            ("POST", re.compile(dc + r"/filer/(?P<filer>\d+)/remove"), self.remove_filer),
            ("GET", re.compile(dc + r"/copyFilerStatus"), self.copy_status),
            ("GET", re.compile(pcc + r"/task"), self.task_list),
            ("GET", re.compile(pcc + r"/task/(?P<task>\d+)"), self.get_task),
            ("POST", re.compile(pcc + r"/task/(?P<task>\d+)/resetTaskState"), self.reset_task),
            ("GET", re.compile(pcc + r"/globalTasks"), self.task_list),
        ]

    def _pcc(self, sn: str) -> dict[str, Any]:
        if sn not in self.sim.inventory:
            raise _not_found(f"dedicatedCloud {sn}")
        return self.sim.inventory[sn]

    def _dc(self, sn: str, dc: str) -> dict[str, Any]:
        datacenters = self._pcc(sn)["datacenters"]
        if int(dc) not in datacenters:
            raise _not_found(f"datacenter {dc}")
        return dict(datacenters[int(dc)])

    def auth_details(self, **_: Any) -> Any:
        return {
            "account": "xx1234-ovh",
            "method": "account",
            "identities": ["urn:v1:eu:identity:account:xx1234-ovh"],
            "allowedRoutes": self.sim.allowed_routes,
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

    def filers(self, sn: str, dc: str, **_: Any) -> Any:
        return sorted(self._dc(sn, dc)["filers"])

    def get_filer(self, sn: str, dc: str, filer: str, **_: Any) -> Any:
        filers = self._dc(sn, dc)["filers"]
        if int(filer) not in filers:
            raise _not_found(f"filer {filer}")
        return filers[int(filer)]

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
                        "filerName": task.restore_name,
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
        ids = []
        for task in self.sim.tasks.values():
            if task.service != sn:
                continue
            if wanted_dc and str(task.datacenter_id) != wanted_dc:
                continue
            if wanted_filer and str(task.filer_id) != wanted_filer:
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

    def dispatch(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        for route_method, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                with self.sim._lock:
                    return handler(**match.groupdict(), query=query, body=body)
        raise _classic(404, "Client::NotFound", "Got an invalid (or empty) URL")


class _Handler(BaseHTTPRequestHandler):
    server: _SimServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("simulator: " + format, *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _send(self, status: int, payload: bytes, query_id: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("X-OVH-QUERYID", query_id)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("simulator: the client left before the answer (it timed out)")

    def _serve(self, method: str) -> None:
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        split = urlsplit(self.path)
        path = split.path.removeprefix("/1.0")
        query_id = sim.next_query_id()
        if sim.latency:
            time.sleep(sim.latency)
        status, payload = self._answer(method, path, split.query, raw)
        fault = sim.take_fault(method, path)
        if fault is not None:
            if fault.kind == "timeout":
                time.sleep(fault.seconds or 10.0)
            elif fault.kind == "drop":
                self.close_connection = True
                self.connection.close()
                return
            elif fault.kind == "invalid-json":
                status, payload = 200, b"<html>Bad gateway</html>"
            elif isinstance(fault.kind, int):
                status = fault.kind
                payload = json.dumps(
                    {
                        "class": "Server::InternalServerError"
                        if status >= 500
                        else "Client::TooManyRequests"
                        if status == 429
                        else "Client::Error",
                        "message": f"Injected failure {status}",
                    }
                ).encode()
        with sim._lock:
            sim.calls.append(Call(method, path + (f"?{split.query}" if split.query else ""), raw, status))
        self._send(status, payload, query_id)

    def _answer(self, method: str, path: str, query: str, raw: str) -> tuple[int, bytes]:
        sim = self.server.sim
        try:
            if path == "/auth/time" and method == "GET":
                return 200, json.dumps(int(sim.wall_clock())).encode()
            if path == "/auth/credential" and method == "POST":
                return 200, json.dumps(self._new_credential(raw)).encode()
            self._check_signature(method, raw)
            body = json.loads(raw) if raw else None
            result = self.server.api.dispatch(method, path, parse_qs(query), body)
            return 200, json.dumps(result).encode()
        except _ApiError as error:
            return error.status, json.dumps(error.body).encode()
        except json.JSONDecodeError:
            return 400, json.dumps({"class": "Client::BadRequest", "message": "Invalid JSON body"}).encode()

    def _new_credential(self, raw: str) -> dict[str, Any]:
        """POST /auth/credential (no signature, only the application key): a pending consumer key."""
        sim = self.server.sim
        if self.headers.get("X-Ovh-Application") not in sim.credentials:
            raise _auth_layer(403, "INVALID_KEY", "This application key is invalid")
        rules = json.loads(raw or "{}").get("accessRules") or []
        key = f"sim-ck-{len(sim.pending_credentials) + 1}"
        sim.pending_credentials[key] = rules
        return {
            "state": "pendingValidation",
            "consumerKey": key,
            "validationUrl": f"http://{self.headers.get('Host')}/auth/?credentialToken={key}",
        }

    def _check_signature(self, method: str, raw: str) -> None:
        sim = self.server.sim
        app_key = self.headers.get("X-Ovh-Application")
        consumer = self.headers.get("X-Ovh-Consumer")
        stamp = self.headers.get("X-Ovh-Timestamp")
        signature = self.headers.get("X-Ovh-Signature")
        if not app_key or app_key not in sim.credentials:
            raise _auth_layer(403, "INVALID_KEY", "This application key is invalid")
        if not consumer or consumer not in sim.consumer_keys:
            raise _auth_layer(403, "INVALID_CREDENTIAL", "This credential is not valid")
        if not stamp or not stamp.isdigit() or abs(int(stamp) - sim.wall_clock()) > MAX_CLOCK_SKEW:
            raise _auth_layer(400, "QUERY_TIME_OUT", "Query out of time")
        url = f"http://{self.headers.get('Host')}{self.path}"
        material = "+".join([sim.credentials[app_key], consumer, method, url, raw, stamp])
        expected = "$1$" + hashlib.sha1(material.encode("utf-8")).hexdigest()
        if signature != expected:
            raise _auth_layer(400, "INVALID_SIGNATURE", "Invalid signature")


class _SimServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        super().__init__(address, _Handler)
        self.sim = sim
        self.api = _Api(sim)


class SimulatorServer:
    """Runs a Simulator over HTTP in a background thread. ``url`` ends in /1.0."""

    def __init__(self, sim: Simulator | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim or Simulator()
        self._server = _SimServer((host, port), self.sim)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="ovh-simulator", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/1.0"

    def start(self) -> SimulatorServer:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(0.2)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
