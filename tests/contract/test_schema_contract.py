"""Contract: the simulator and the route table agree with OVHcloud's public `dedicatedCloud` schema
(the captures of 2021-04 and 2024-06, in tests/schemas/ with their source).

Every object the simulator serves is validated against the model the schema gives for its route: each
property the model says cannot be null is there, with the right type or enum value. Every route the bot
calls exists in one of the schemas with the parameters the bot uses (the first generation's
`linkFilerFromSbg` aside: it is in no capture).
"""

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.ovh import routes
from bot.demo.simulator import Simulator, large_pcc
from bot.demo.simulator.api import _Api

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"  # the public captures, kept with the tests
CAPTURES = [
    json.loads((SCHEMAS / name).read_text())
    for name in ("dedicatedCloud-2024-06.json", "dedicatedCloud-2021-04.json")
]
NOT_IN_ANY_CAPTURE = {routes.LINK_FILER, routes.AUTH_DETAILS}  # predates the captures; another API


def operation(method: str, template: str) -> dict[str, Any] | None:
    for capture in CAPTURES:
        for api in capture["apis"]:
            if api["path"] == template:
                for op in api["operations"]:
                    if op["httpMethod"] == method:
                        return dict(op)
    return None


def model(name: str) -> dict[str, Any] | None:
    for capture in CAPTURES:
        if name in capture["models"]:
            return dict(capture["models"][name])
    return None


_SCALARS = {
    "string": lambda v: isinstance(v, str),
    "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "datetime": lambda v: isinstance(v, str) and bool(datetime.fromisoformat(v)),
    "date": lambda v: isinstance(v, str),
    "uuid": lambda v: isinstance(v, str),
}


def problems(value: Any, type_name: str, where: str) -> list[str]:
    """What is wrong with ``value`` as an instance of the schema type ``type_name``."""
    if type_name.endswith("[]"):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [p for i, item in enumerate(value) for p in problems(item, type_name[:-2], f"{where}[{i}]")]
    if type_name in _SCALARS:
        return [] if _SCALARS[type_name](value) else [f"{where}: {value!r} is not a {type_name}"]
    generic = re.fullmatch(r"(.+)<(.+)>", type_name)
    found = model(type_name) or (model(f"{generic.group(1)}<T>") if generic else None)
    if found is None:
        return []  # a type the captures do not describe (map, ip): not checked
    if "enum" in found:
        return [] if value in found["enum"] else [f"{where}: {value!r} is not one of {type_name}"]
    if not isinstance(value, dict):
        return [f"{where}: expected an object of {type_name}"]
    return _field_problems(value, found, type_name, generic.group(2) if generic else None, where)


def _field_problems(
    value: dict[str, Any], found: dict[str, Any], type_name: str, argument: str | None, where: str
) -> list[str]:
    """The properties of an object of ``type_name`` (``argument``: what its ``T`` stands for)."""
    out = []
    for name, prop in (found.get("properties") or {}).items():
        kind = prop.get("fullType") or prop.get("type")
        if kind == "T" and argument:
            kind = argument
        if name not in value or value[name] is None:
            if not prop["canBeNull"]:
                out.append(f"{where}.{name}: missing, and {type_name} says it cannot be null")
            continue
        out += problems(value[name], kind, f"{where}.{name}")
    return out


def test_every_route_the_bot_calls_is_in_a_schema_with_the_parameters_it_uses():
    for route in routes.ROUTES:
        if route in NOT_IN_ANY_CAPTURE:
            continue
        op = operation(route.method, route.template)
        assert op is not None, f"{route} is in neither capture"
        declared = {p["name"] for p in op["parameters"]}
        assert set(route.parameters) <= declared, route
    search = operation("GET", routes.GLOBAL_TASKS.template)
    assert search is not None and {"datacenterId", "executionDate.from"} <= {
        p["name"] for p in search["parameters"]
    }


@pytest.fixture
def api() -> _Api:
    sim = Simulator()
    sim.inventory["pcc-192-0-2-99"] = large_pcc(5, datacenters=2)
    sim.inventory["pcc-192-0-2-50"]["global_filers"] = {
        7001: sim.inventory["pcc-192-0-2-99"]["datacenters"][2001]["filers"][20000]
    }
    api = _Api(sim)
    sim.start_copy("pcc-192-0-2-50", 1515, 1234, "copyFiler")
    sim.start_removal("pcc-192-0-2-50", 1515, 5001)
    sim.start_restore("pcc-192-0-2-50", 1515, "veeam-rbx-01")
    sim.start_restore("pcc-192-0-2-50", 1515, "veeam-rbx-big")
    sim.advance(600)  # the second one cancelled for lack of space
    return api


def served(api: _Api) -> list[tuple[str, str, Any]]:
    """(route template, concrete path, answer) for every GET route the bot calls, over the inventory."""
    out = []
    sim = api.sim

    def get(route: routes.Route, **params: Any) -> None:
        path = route.path(**params)
        answer, _ = api.dispatch("GET", path, {}, None)
        out.append((route.template, path, answer))

    for sn, pcc in sim.inventory.items():
        get(routes.PCC, serviceName=sn)
        for option in (routes.HDS, routes.PCIDSS):
            if pcc[option.template.rsplit("/", 1)[1]] is not None:
                get(option, serviceName=sn)
        get(routes.DATACENTERS, serviceName=sn)
        get(routes.GLOBAL_FILERS, serviceName=sn)
        for filer_id in pcc.get("global_filers", {}):
            get(routes.GLOBAL_FILER, serviceName=sn, filerId=filer_id)
        for dc, data in pcc["datacenters"].items():
            get(routes.DATACENTER, serviceName=sn, datacenterId=dc)
            get(routes.FILERS, serviceName=sn, datacenterId=dc)
            get(routes.COPY_STATUS, serviceName=sn, datacenterId=dc)
            for filer_id in data["filers"]:
                get(routes.FILER, serviceName=sn, datacenterId=dc, filerId=filer_id)
                get(routes.FILER_TASKS, serviceName=sn, datacenterId=dc, filerId=filer_id)
        get(routes.TASKS, serviceName=sn)
        get(routes.GLOBAL_TASKS, serviceName=sn)
        get(routes.BACKUP_REPOSITORIES, serviceName=sn)
        for repository_id in sim.backups.get(sn, {}).get("repositories", {}):
            get(routes.BACKUP_REPOSITORY, serviceName=sn, repositoryId=repository_id)
        for dc in sim.backups.get(sn, {}).get("datacenters", {}):
            get(routes.DATACENTER_BACKUP, serviceName=sn, datacenterId=dc)
    get(routes.PCCS)
    for task in sim.tasks.values():
        get(routes.TASK, serviceName=task.service, taskId=task.task_id)
        filer = task.removes or task.filer_id
        if filer in sim.inventory[task.service]["datacenters"][task.datacenter_id]["filers"]:
            get(
                routes.FILER_TASK,
                serviceName=task.service,
                datacenterId=task.datacenter_id,
                filerId=filer,
                taskId=task.task_id,
            )
    return out


def test_every_object_the_simulator_serves_fits_the_public_schema(api):
    checked = 0
    for template, path, answer in served(api):
        op = operation("GET", template)
        assert op is not None, template
        found = problems(answer, op["responseType"], path)
        assert found == [], found[:5]
        checked += 1
    assert checked > 40


def test_the_schema_check_catches_what_the_simulator_used_to_miss():
    incomplete = {"serviceName": "pcc-1", "location": "sbg1a", "description": "", "state": "delivered"}
    missing = problems(incomplete, "dedicatedCloud.dedicatedCloudWithIAM", "pcc")
    assert len(missing) >= 11
    assert problems({"taskId": 1, "state": "cancelled"}, "dedicatedCloud.Task", "task")  # not an enum value


def test_the_simulator_serves_every_route_of_the_table(api):
    for route in routes.ROUTES:
        pattern_found = any(
            method == route.method and _template_matches(pattern, route) for method, pattern, *_ in api.routes
        )
        assert pattern_found, f"the simulator does not serve {route}"


def _template_matches(pattern: re.Pattern[str], route: routes.Route) -> bool:
    sample = route.path(
        **{name: "1" if name != "serviceName" else "pcc-192-0-2-15" for name in route.parameters}
    )
    return pattern.fullmatch(sample) is not None


def test_the_restore_calls_are_routes_of_the_2024_schema_with_their_declared_parameters():
    """Every call of the batch restore's flow: in the 2024 capture, in production, and the POST's body
    (with and without a backup job) made only of the body parameters the schema declares, the required
    ones included."""
    from bot.domain.restore import restore_body

    restore_routes = [
        routes.BACKUP_REPOSITORIES,
        routes.BACKUP_REPOSITORY,
        routes.DATACENTER_BACKUP,
        routes.BATCH_RESTORE,
        routes.TASK,
        routes.TASKS,
        routes.GLOBAL_TASKS,
    ]
    for route in restore_routes:
        ops = [
            op
            for api in CAPTURES[0]["apis"]
            if api["path"] == route.template
            for op in api["operations"]
            if op["httpMethod"] == route.method
        ]
        assert len(ops) == 1 and ops[0]["apiStatus"] == "PRODUCTION", route
        path_params = {p["name"] for p in ops[0]["parameters"] if p["paramType"] == "path"}
        assert set(route.parameters) == path_params, route
    post = operation("POST", routes.BATCH_RESTORE.template)
    assert post is not None and post["responseType"] == "dedicatedCloud.Task"
    body = {p["name"]: p for p in post["parameters"] if p["paramType"] == "body"}
    required = {name for name, p in body.items() if p["required"]}
    for sent in (restore_body("veeam-rbx-01", None), restore_body("veeam-rbx-01", "job-1")):
        assert required <= set(sent) <= set(body)
        assert all(body[name]["dataType"] == "string" and isinstance(v, str) for name, v in sent.items())


def test_the_simulated_restore_tasks_fit_the_schema_and_one_is_cancelled_for_space(api):
    views = [api.sim.task_view(t) for t in api.sim.tasks.values() if t.restores is not None]
    assert [v["state"] for v in views] == ["doing", "canceled"]
    assert "space" in views[1]["description"]
    for view in views:
        assert problems(view, "dedicatedCloud.Task", "task") == []
