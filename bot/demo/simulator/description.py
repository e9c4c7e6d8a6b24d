"""The simulator's `GET /1.0/dedicatedCloud.json`: OVHcloud's API description, in its published format
(`apis`: path, operations with method, parameters, response type and IAM actions), for the routes the
simulator implements; those of the 2021-04 capture (tests/contract/test_schema_contract.py holds them
to it), and `linkFilerFromSbg`, which the guide of 24 March 2021 names and no capture has.

``copy_routes=False`` leaves the copy routes out, as OVHcloud's description may one day."""

from __future__ import annotations

from typing import Any

from bot.adapters.ovh import routes

#: Routes OVHcloud may withdraw (published in March 2021 for the fire).
COPY_ROUTES = (routes.LINK_FILER, routes.COPY_FILER, routes.COPY_STATUS)
_RESPONSES = {
    routes.PCCS: "string[]",
    routes.DATACENTERS: "long[]",
    routes.FILERS: "long[]",
    routes.GLOBAL_FILERS: "long[]",
    routes.FILER_TASKS: "long[]",
    routes.TASKS: "long[]",
    routes.GLOBAL_TASKS: "long[]",
    routes.COPY_STATUS: "dedicatedCloud.FilerDataMigrationTask[]",
    routes.PCC: "dedicatedCloud.dedicatedCloud",
    routes.HDS: "dedicatedCloud.Option",
    routes.PCIDSS: "dedicatedCloud.Option",
    routes.DATACENTER: "dedicatedCloud.Datacenter",
    routes.FILER: "dedicatedCloud.Filer",
    routes.GLOBAL_FILER: "dedicatedCloud.Filer",
}
_BODIES = {
    routes.LINK_FILER: ("filerId",),
    routes.COPY_FILER: ("filerId", "accept"),
    routes.RESET_TASK: ("reason",),
}


def _operation(route: routes.Route) -> dict[str, Any]:
    parameters = [
        {
            "name": name,
            "dataType": "string" if name == "serviceName" else "long",
            "paramType": "path",
            "required": True,
        }
        for name in route.parameters
    ]
    parameters += [
        {
            "name": name,
            "dataType": "boolean" if name == "accept" else "long",
            "paramType": "body",
            "required": True,
        }
        for name in _BODIES.get(route, ())
    ]
    if route is routes.RESET_TASK:
        parameters[-1]["dataType"] = "string"
    return {
        "apiStatus": "PRODUCTION",
        "httpMethod": route.method,
        "parameters": parameters,
        "responseType": _RESPONSES.get(route, "dedicatedCloud.Task"),
        "iamActions": [{"name": f"pccVMware:apiovh:{route.iam_action}", "required": True}],
    }


def api_description(copy_routes: bool = True) -> dict[str, Any]:
    """The description the simulator serves."""
    apis: dict[str, list[dict[str, Any]]] = {}
    for route in routes.ROUTES:
        if route is routes.AUTH_DETAILS or (not copy_routes and route in COPY_ROUTES):
            continue
        apis.setdefault(route.template, []).append(_operation(route))
    return {
        "apiVersion": "1.0",
        "resourcePath": "/dedicatedCloud",
        "basePath": "https://eu.api.ovh.com/1.0",
        "apis": [{"path": path, "operations": operations} for path, operations in sorted(apis.items())],
        "models": {},
    }
