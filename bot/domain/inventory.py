"""What OVHcloud has: PCCs, datacenters, datastores (filers), tasks, and what their states mean."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.support.i18n import _


@dataclass(frozen=True)
class Pcc:
    service_name: str
    zone: str
    description: str = ""


#: The option states that can be judged; any other (enabling, disabling, migrating, error, unknown) cannot.
JUDGED_OPTION_STATES = frozenset({"enabled", "disabled"})


@dataclass(frozen=True)
class Certifications:
    """Security options that must carry over to the destination (HDS, PCI-DSS), by their API state
    (`option.StateEnum`; never subscribed counts as `disabled`)."""

    hds: str = "disabled"
    pcidss: str = "disabled"

    def options(self) -> tuple[tuple[str, str], ...]:
        return (("HDS", self.hds), ("PCI-DSS", self.pcidss))


@dataclass(frozen=True)
class Datacenter:
    datacenter_id: int
    name: str
    commercial_name: str = ""
    description: str = ""


@dataclass(frozen=True)
class Filer:
    filer_id: int
    name: str
    size: str
    space_used_gb: float | None
    space_free_gb: float | None
    vm_total: int | None
    state: str
    is_global: bool = False  # a global datastore, mounted on every datacenter of the PCC


@dataclass(frozen=True)
class DatacenterFilers:
    datacenter: Datacenter
    filers: tuple[Filer, ...]
    #: Datastores known by id whose details were not read yet (the budget had no room): filled in later.
    unread: tuple[int, ...] = ()


@dataclass(frozen=True)
class FilerListing:
    pcc: Pcc
    datacenters: tuple[DatacenterFilers, ...]
    global_filers: tuple[Filer, ...] = ()

    @property
    def count(self) -> int:
        return sum(len(dc.filers) for dc in self.datacenters) + len(self.global_filers) + self.unread

    @property
    def unread(self) -> int:
        return sum(len(dc.unread) for dc in self.datacenters)


@dataclass(frozen=True)
class Task:
    task_id: int
    name: str
    state: str
    progress: int | None
    description: str | None = None
    filer_id: int | None = None
    datacenter_id: int | None = None
    executed_at: datetime | None = None  # the API's executionDate


@dataclass(frozen=True)
class CopyStatus:
    """copyFilerStatus for one filer: percentage and bytes copied (the API's `transfered`, sic)."""

    progress: int | None
    transferred: str | None
    state: str


#: The copyFiler body's `accept` stands for this text, verbatim from the API schema (typos included).
COPY_FILER_CONSENT = (
    "By triggering this API call(s), you accept to replicate data from one of yours private cloud instance "
    "to another instance allocated to you, and you understand that a temporary copy will be performed to a "
    "intermerdiary server. This server is a mutualized infrastructure used by several customers during the "
    "migration operation. Your data will be protected by technical fully automated segregation (Access "
    "right, network ACL, etc...). Data will be accessible only through vSphere interface with no direct "
    "access from any customer to the intermediary server."
)


@dataclass(frozen=True)
class StartedTask:
    task_id: int
    query_id: str | None


#: TaskStateEnum values that end a task.
TASK_DONE = "done"
TASK_FAILED_STATES = frozenset({"error", "canceled"})
#: What each of OVHcloud's eleven TaskStateEnum values means to the people watching the card.
TASK_STATE_MEANINGS = {
    "toCreate": _("queued (being created)"),
    "todo": _("queued"),
    "waitingTodo": _("queued (waiting for its turn)"),
    "doing": _("running"),
    "waitingForChilds": _("waiting for its sub-tasks"),
    "fixing": _("OVHcloud is repairing it"),
    "toCancel": _("being cancelled"),
    "canceled": _("cancelled"),
    "error": _("ended in error"),
    "done": _("done"),
    "unknown": _("in a state OVHcloud calls unknown"),
}
