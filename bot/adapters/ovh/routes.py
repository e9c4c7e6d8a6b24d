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
_PCCS = "/dedicatedCloud"


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # path under /1.0, with {parameters}
    purpose: str
    mutating: bool = False
    #: An operation's call (``Mutation.route`` names it so): the route's name among ``CALLS``.
    call: str = ""

    def path(self, **params: object) -> str:
        return self.template.format(**params)

    @property
    def iam_action(self) -> str:
        """The IAM action an OAuth2 service account needs (prefix `pccVMware:apiovh:`): the path below
        the PCC without its parameters, `/get` for a read (`datacenter/filer/get`,
        `datacenter/copyFiler`); none outside /dedicatedCloud."""
        if not self.template.startswith(_PCCS):
            return ""
        below = self.template.removeprefix(_PCCS).removeprefix("/{serviceName}")
        words = [w for w in below.split("/") if w and not _PARAM.fullmatch(w)]
        return "/".join([*words, "get"] if self.method == "GET" else words)

    @property
    def parameters(self) -> list[str]:
        return [name.strip("{}") for name in _PARAM.findall(self.template)]

    @property
    def rule(self) -> str:
        """The route as an access rule of a consumer key: each parameter a `*`."""
        return _PARAM.sub("*", self.template)

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


_PCC = _PCCS + "/{serviceName}"
_DC = _PCC + "/datacenter/{datacenterId}"

PCCS = Route("GET", "/dedicatedCloud", "list the account's PCCs")
PCC = Route("GET", _PCC, "a PCC's zone and description")
HDS = Route("GET", _PCC + "/hds", "the source's and destination's HDS option")
PCIDSS = Route("GET", _PCC + "/pcidss", "the PCI-DSS option")
DATACENTERS = Route("GET", _PCC + "/datacenter", "list a PCC's datacenters")
DATACENTER = Route("GET", _DC, "a datacenter's name")
FILERS = Route("GET", _DC + "/filer", "list a datacenter's datastores")
FILER = Route("GET", _DC + "/filer/{filerId}", "a datastore's size, use and VMs")
GLOBAL_FILERS = Route("GET", _PCC + "/filer", "list the global datastores")
GLOBAL_FILER = Route("GET", _PCC + "/filer/{filerId}", "a global datastore")
FILER_TASKS = Route("GET", _DC + "/filer/{filerId}/task", "a datastore's tasks (the copy's removal)")
FILER_TASK = Route("GET", _DC + "/filer/{filerId}/task/{taskId}", "the removal task")
TASK = Route("GET", _PCC + "/task/{taskId}", "a replication task's state and progress")
TASKS = Route("GET", _PCC + "/task", "a PCC's tasks, in one call when expanded")
GLOBAL_TASKS = Route("GET", _PCC + "/globalTasks", "search the task a call in doubt created")
COPY_STATUS = Route("GET", _DC + "/copyFilerStatus", "copyFiler's percentage and bytes")
LINK_FILER = Route("POST", _DC + "/linkFilerFromSbg", "the migration call (first generation)", mutating=True)
COPY_FILER = Route("POST", _DC + "/copyFiler", "the migration call (second generation)", mutating=True)
REMOVE_FILER = Route(
    "POST", _DC + "/filer/{filerId}/remove", "Remove copy", mutating=True, call="removeFiler"
)
RESET_TASK = Route(
    "POST", _PCC + "/task/{taskId}/resetTaskState", "Retry", mutating=True, call="resetTaskState"
)
BACKUP_REPOSITORIES = Route("GET", _PCC + "/backupRepository", "list the Veeam backup repositories")
BACKUP_REPOSITORY = Route(
    "GET", _PCC + "/backupRepository/{repositoryId}", "a repository's replication and sync status"
)
DATACENTER_BACKUP = Route("GET", _DC + "/backup", "whether backup is enabled on a restore's target")
BATCH_RESTORE = Route("POST", _DC + "/backup/batchRestore", "the Veeam batch restore call", mutating=True)
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
#: The operations' calls by name (``Mutation.route``): the gateway's ``mutate`` sends them.
CALLS = {route.call: route for route in ROUTES if route.call}


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
