"""The simulator's `GET /1.0/dedicatedCloud.json`: OVHcloud's API description, in its published format
(`apis`: path, operations with method, parameters, response type and IAM actions), for the routes the
simulator implements; those of the 2021-04 capture and, for the Veeam restore, of the 2024-06 one
(tests/contract/test_api_description.py holds them to those), and `linkFilerFromSbg`, which the guide
of 24 March 2021 names and no capture has.

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
    routes.BACKUP_REPOSITORIES: "long[]",
    routes.BACKUP_REPOSITORY: "dedicatedCloud.BackupRepository",
    routes.DATACENTER_BACKUP: "dedicatedCloud.Backup",
}
_BODIES = {
    routes.LINK_FILER: ("filerId",),
    routes.COPY_FILER: ("filerId", "accept"),
    routes.RESET_TASK: ("reason",),
    routes.BATCH_RESTORE: ("backupRepositoryName", "backupJobName"),
}
_STRING_BODIES = {"reason", "backupRepositoryName", "backupJobName"}
_OPTIONAL_BODIES = {"backupJobName"}


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
            "dataType": "boolean" if name == "accept" else "string" if name in _STRING_BODIES else "long",
            "paramType": "body",
            "required": name not in _OPTIONAL_BODIES,
        }
        for name in _BODIES.get(route, ())
    ]
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
