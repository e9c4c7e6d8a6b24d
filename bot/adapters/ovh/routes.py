"""Every OVHcloud route pcc-bot calls: the only place a route is written.

The gateway builds its paths from here, `pcc-bot credentials` asks for exactly these access rules,
`pcc-bot doctor` checks the consumer key's rules against them, and tests hold the IAM list of docs/api.md,
the simulator and the public schema captures to them. Pure data: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import MigrationApi

_PARAM = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # path under /1.0, with {parameters}
    purpose: str
    mutating: bool = False
    #: The IAM action an OAuth2 service account needs (prefix `pccVMware:apiovh:`).
    iam_action: str = ""

    def path(self, **params: object) -> str:
        return self.template.format(**params)

    @property
    def parameters(self) -> list[str]:
        return [name.strip("{}") for name in _PARAM.findall(self.template)]

    @property
    def rule(self) -> str:
        """The route as an access rule of a consumer key: each parameter a `*`."""
        return _PARAM.sub("*", self.template)

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


_PCC = "/dedicatedCloud/{serviceName}"
_DC = _PCC + "/datacenter/{datacenterId}"

PCCS = Route("GET", "/dedicatedCloud", "list the account's PCCs", iam_action="get")
PCC = Route("GET", _PCC, "a PCC's zone and description", iam_action="get")
HDS = Route("GET", _PCC + "/hds", "the source's and destination's HDS option", iam_action="hds/get")
PCIDSS = Route("GET", _PCC + "/pcidss", "the PCI-DSS option", iam_action="pcidss/get")
DATACENTERS = Route("GET", _PCC + "/datacenter", "list a PCC's datacenters", iam_action="datacenter/get")
DATACENTER = Route("GET", _DC, "a datacenter's name", iam_action="datacenter/get")
FILERS = Route("GET", _DC + "/filer", "list a datacenter's datastores", iam_action="datacenter/filer/get")
FILER = Route(
    "GET", _DC + "/filer/{filerId}", "a datastore's size, use and VMs", iam_action="datacenter/filer/get"
)
GLOBAL_FILERS = Route("GET", _PCC + "/filer", "list the global datastores", iam_action="filer/get")
GLOBAL_FILER = Route("GET", _PCC + "/filer/{filerId}", "a global datastore", iam_action="filer/get")
FILER_TASKS = Route(
    "GET",
    _DC + "/filer/{filerId}/task",
    "a datastore's tasks (the copy's removal)",
    iam_action="datacenter/filer/task/get",
)
FILER_TASK = Route(
    "GET", _DC + "/filer/{filerId}/task/{taskId}", "the removal task", iam_action="datacenter/filer/task/get"
)
TASK = Route("GET", _PCC + "/task/{taskId}", "a replication task's state and progress", iam_action="task/get")
TASKS = Route("GET", _PCC + "/task", "a PCC's tasks, in one call when expanded", iam_action="task/get")
GLOBAL_TASKS = Route(
    "GET", _PCC + "/globalTasks", "search the task a call in doubt created", iam_action="globalTasks/get"
)
COPY_STATUS = Route(
    "GET",
    _DC + "/copyFilerStatus",
    "copyFiler's percentage and bytes",
    iam_action="datacenter/copyFilerStatus/get",
)
LINK_FILER = Route(
    "POST",
    _DC + "/linkFilerFromSbg",
    "the migration call (first generation)",
    mutating=True,
    iam_action="datacenter/linkFilerFromSbg",
)
COPY_FILER = Route(
    "POST",
    _DC + "/copyFiler",
    "the migration call (second generation)",
    mutating=True,
    iam_action="datacenter/copyFiler",
)
REMOVE_FILER = Route(
    "POST",
    _DC + "/filer/{filerId}/remove",
    "Remove copy",
    mutating=True,
    iam_action="datacenter/filer/remove",
)
RESET_TASK = Route(
    "POST", _PCC + "/task/{taskId}/resetTaskState", "Retry", mutating=True, iam_action="task/resetTaskState"
)
BACKUP_REPOSITORIES = Route(
    "GET", _PCC + "/backupRepository", "list the Veeam backup repositories", iam_action="backupRepository/get"
)
BACKUP_REPOSITORY = Route(
    "GET",
    _PCC + "/backupRepository/{repositoryId}",
    "a repository's replication and sync status",
    iam_action="backupRepository/get",
)
DATACENTER_BACKUP = Route(
    "GET",
    _DC + "/backup",
    "whether backup is enabled on a restore's target",
    iam_action="datacenter/backup/get",
)
BATCH_RESTORE = Route(
    "POST",
    _DC + "/backup/batchRestore",
    "the Veeam batch restore call",
    mutating=True,
    iam_action="datacenter/backup/batchRestore",
)
AUTH_DETAILS = Route("GET", "/auth/details", "doctor: the consumer key's rights")

MIGRATION_ROUTES: dict[str, Route] = {
    MigrationApi.LINK_FILER: LINK_FILER,
    MigrationApi.COPY_FILER: COPY_FILER,
}

#: Every route, the migration call of both generations included.
ROUTES = (
    PCCS,
    PCC,
    HDS,
    PCIDSS,
    DATACENTERS,
    DATACENTER,
    FILERS,
    FILER,
    GLOBAL_FILERS,
    GLOBAL_FILER,
    FILER_TASKS,
    FILER_TASK,
    TASK,
    TASKS,
    GLOBAL_TASKS,
    COPY_STATUS,
    LINK_FILER,
    COPY_FILER,
    REMOVE_FILER,
    RESET_TASK,
    BACKUP_REPOSITORIES,
    BACKUP_REPOSITORY,
    DATACENTER_BACKUP,
    BATCH_RESTORE,
    AUTH_DETAILS,
)


def routes_for(migration_api: str) -> list[Route]:
    """The routes a bot filing under ``migration_api`` calls (the other generation's call left out)."""
    other = {name: route for name, route in MIGRATION_ROUTES.items() if name != migration_api}
    unused = set(other.values())
    if migration_api != MigrationApi.COPY_FILER:
        unused.add(COPY_STATUS)
    return [route for route in ROUTES if route not in unused]


def access_rules(migration_api: str) -> list[tuple[str, str]]:
    """(method, path) access rules of a consumer key that can make every call, and no other."""
    rules: list[tuple[str, str]] = []
    for route in routes_for(migration_api):
        if (route.method, route.rule) not in rules:
            rules.append((route.method, route.rule))
    return rules
