"""The OvhGateway port (usecases/ports.py) over python-ovh: the domain's questions to OVHcloud, every
path from the route table (routes.py beside this file), every call through the transport
(transport.py, ``self._api``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bot.adapters.ovh import routes
from bot.adapters.ovh.backup import BackupCalls
from bot.adapters.ovh.client import (
    OvhCredentials,
    make_client,
    migration_body,
    migration_path,
    to_datacenter,
    to_filer,
    to_pcc,
    to_task,
    to_tasks,
)
from bot.adapters.ovh.description import RouteDirectory
from bot.adapters.ovh.routes import Route
from bot.adapters.ovh.transport import OvhTransport, not_found
from bot.domain import (
    Certifications,
    CopyStatus,
    Datacenter,
    DatacenterFilers,
    Filer,
    FilerListing,
    MigrationApi,
    MigrationSpec,
    NotFound,
    OvhNotFound,
    Pcc,
    StartedTask,
    Task,
)
from bot.support.i18n import _

__all__ = ["MIGRATION_ROUTES", "OvhCredentials", "SignedOvhGateway", "make_client"]

MIGRATION_ROUTES = tuple(routes.MIGRATION_ROUTES)


class SignedOvhGateway(BackupCalls):
    """The OvhGateway port over python-ovh: every call signed, or made with an OAuth2 token."""

    def __init__(
        self, client: Any, *, migration_route: str = MigrationApi.LINK_FILER, **options: Any
    ) -> None:
        if migration_route not in MIGRATION_ROUTES:
            raise ValueError(f"unknown migration route {migration_route!r}")
        self._api = OvhTransport(client, **options)  # signed calls, budget, cache, pools
        self._route = migration_route
        self._described = RouteDirectory(str(getattr(client, "_endpoint", "")), self._api.limiter)

    def close(self) -> None:
        """Refuse every call still waiting for the budget, and stop the transport's pools."""
        self._api.close()

    def __repr__(self) -> str:
        return f"SignedOvhGateway(client={self._api.client!r}, route={self._route!r})"

    @property
    def migration_route(self) -> str:
        """The route new requests are filed under (PCC_MIGRATION_API)."""
        return self._route

    # ------------------------------------------------------------ inventory

    def get_pcc(self, service: str, *, fresh: bool = False) -> Pcc:
        """The PCC; ``fresh``: read now, not from the inventory cache (a rule checked before a POST)."""
        body = self._api.named(
            routes.PCC.path(serviceName=service),
            f"reading PCC {service}",
            _("PCC {service} not found", service=service),
            fresh=fresh,
        )
        return to_pcc(body, service)

    def _option_state(self, service: str, route: Route, name: str, fresh: bool = False) -> str:
        read = self._api.fresh if fresh else self._api.cached
        try:
            body = read(route.path(serviceName=service), f"reading {name} of {service}")
        except OvhNotFound:
            return "disabled"  # never subscribed: answered 404 on some accounts, "disabled" on others
        state = body.get("state") if isinstance(body, dict) else None
        return str(state) if state else "unknown"

    def list_pccs(self) -> list[Pcc]:
        """Every PCC of the account, with its zone (reads cached and fetched concurrently)."""
        names = self._api.cached(routes.PCCS.path(), "listing PCCs")
        return self._api.map(self.get_pcc, [str(name) for name in names])

    def _member(
        self, route: Route, what: str, *, fresh: bool = False, **params: Any
    ) -> Callable[[int], dict[str, Any]]:
        """Reads one object of a list by its id (the last parameter of ``route``); ``what`` names it,
        with ``{}`` for the id."""
        read, name = (self._api.fresh if fresh else self._api.cached), route.parameters[-1]
        return lambda member_id: dict(read(route.path(**params, **{name: member_id}), what.format(member_id)))

    def list_datacenters(self, service: str) -> list[Datacenter]:
        one = self._member(routes.DATACENTER, "reading datacenter {}", serviceName=service)
        try:
            bodies = self._api.cache.get(
                ("datacenters", service),
                lambda: self._api.objects(
                    routes.DATACENTERS, one, f"listing datacenters of {service}", serviceName=service
                ),
            )
        except OvhNotFound as error:
            raise not_found(_("PCC {service} not found", service=service), error.query_id) from error
        return [to_datacenter(body, int(body.get("datacenterId", 0))) for body in bodies]

    def get_certifications(self, service: str, *, fresh: bool = False) -> Certifications:
        """HDS and PCI-DSS; ``fresh``: read now, not from the inventory cache."""
        hds, pcidss = self._api.map(
            lambda option: self._option_state(service, *option, fresh=fresh),
            [(routes.HDS, "HDS"), (routes.PCIDSS, "PCI-DSS")],
        )
        return Certifications(hds=hds, pcidss=pcidss)

    def get_datacenter(self, service: str, datacenter_id: int) -> Datacenter:
        body = self._api.named(
            routes.DATACENTER.path(serviceName=service, datacenterId=datacenter_id),
            f"reading datacenter {datacenter_id} of {service}",
            _("datacenter {dc} not found in PCC {service}", dc=datacenter_id, service=service),
        )
        return to_datacenter(body, datacenter_id)

    def get_filer(self, service: str, datacenter_id: int, filer_id: int) -> Filer:
        """A datastore of the datacenter, or a global one of the PCC (mounted on every datacenter)."""
        path = routes.FILER.path(serviceName=service, datacenterId=datacenter_id, filerId=filer_id)
        try:
            return to_filer(self._api.cached(path, f"reading filer {filer_id}"), filer_id)
        except OvhNotFound as error:
            global_path = routes.GLOBAL_FILER.path(serviceName=service, filerId=filer_id)
            try:
                found = self._api.cached(global_path, f"reading global filer {filer_id}")
                return to_filer(found, filer_id, is_global=True)
            except OvhNotFound:
                missing = _(
                    "filer {filer} not found in datacenter {dc} of PCC {service}",
                    filer=filer_id,
                    dc=datacenter_id,
                    service=service,
                )
                raise not_found(missing, error.query_id) from error

    def _datacenter_filers(
        self, service: str, datacenter_id: int, fresh: bool = False, now_only: bool = False
    ) -> tuple[list[Filer], list[int]]:
        """The datacenter's datastores, and (``now_only``, without expansion) the ids not read yet."""

        one = self._member(routes.FILER, "reading filer {}", serviceName=service, datacenterId=datacenter_id)

        def load() -> tuple[list[Any], list[int]]:
            return self._api.objects_so_far(
                routes.FILERS,
                one,
                f"listing filers of datacenter {datacenter_id}",
                fresh=fresh,
                now_only=now_only,
                serviceName=service,
                datacenterId=datacenter_id,
            )

        key = ("filers", service, datacenter_id)
        bodies, unread = load() if fresh or now_only else self._api.cache.get(key, load)
        return [to_filer(body, int(body.get("filerId", 0))) for body in bodies], unread

    def datacenter_filers(self, service: str, datacenter_id: int) -> list[Filer]:
        """The datacenter's own datastores (a plan's whole datacenter): one listing, and the datacenter
        named as unknown when it is."""
        self.get_datacenter(service, datacenter_id)
        return self._datacenter_filers(service, datacenter_id)[0]

    def global_filers(self, service: str) -> list[Filer]:
        """The PCC's global datastores (mounted on every datacenter)."""

        one = self._member(routes.GLOBAL_FILER, "reading global filer {}", fresh=True, serviceName=service)
        try:
            bodies = self._api.cache.get(
                ("global", service),
                lambda: self._api.objects(
                    routes.GLOBAL_FILERS, one, f"listing global filers of {service}", serviceName=service
                ),
            )
        except OvhNotFound:
            return []  # no global datastore route on this PCC
        return [to_filer(body, int(body.get("filerId", 0)), is_global=True) for body in bodies]

    def filer_listing(
        self, service: str, datacenter_id: int | None, *, now_only: bool = False
    ) -> FilerListing:
        """The PCC and its datastores in as few round trips as expansion (or the bound) allows. With
        ``now_only``, datastores whose details the budget has no room for at once are left unread
        (their ids in ``unread``) rather than waited for."""
        pcc = self._api.step(self.get_pcc, service)
        global_filers = self._api.step(self.global_filers, service)
        if datacenter_id is not None:  # one datacenter: its details and its datastores together
            one = self._api.step(self._datacenter_filers, service, datacenter_id, False, now_only)
            try:
                datacenters = [self.get_datacenter(service, datacenter_id)]
            except NotFound:
                self._api.outcome(pcc)  # an unknown PCC is named as such, not as an unknown datacenter
                raise
            per_dc = [one]
        else:
            datacenters = self.list_datacenters(service)
            per_dc = [
                self._api.step(self._datacenter_filers, service, dc.datacenter_id, False, now_only)
                for dc in datacenters
            ]
        found = [self._api.outcome(step) for step in per_dc]
        shared: list[Filer] = self._api.outcome(global_filers)
        return FilerListing(
            pcc=self._api.outcome(pcc),
            datacenters=tuple(
                DatacenterFilers(dc, tuple(filers), tuple(unread))
                for dc, (filers, unread) in zip(datacenters, found, strict=True)
            ),
            global_filers=tuple(shared),
        )

    # ------------------------------------------------------------ migration and tasks

    def migration_call(self, spec: MigrationSpec, route: str) -> str:
        body = ", ".join(f'"{k}": {str(v).lower()}' for k, v in migration_body(spec, route).items())
        return f"POST {migration_path(spec, route)} {{{body}}}"

    def route_absent(self, route: str) -> bool:
        return self._described.absent(route)

    def start_migration(self, spec: MigrationSpec, route: str) -> StartedTask:
        """The migration call, on the route the request was filed under."""
        return self._started(*self._api.mutate(migration_path(spec, route), migration_body(spec, route)))

    def mutate(
        self, call: str, params: Mapping[str, str | int], body: Mapping[str, object] | None
    ) -> StartedTask:
        """An operation's call (its route by name: ``routes.CALLS``), sent once."""
        path = routes.CALLS[call].path(**params)
        return self._started(*self._api.mutate(path, dict(body) if body is not None else None))

    @staticmethod
    def _started(answer: Any, query_id: str | None) -> StartedTask:
        return StartedTask(task_id=int(answer["taskId"]), query_id=query_id)

    def copy_status(self, spec: MigrationSpec) -> CopyStatus | None:
        """The newest copyFilerStatus entry for the request's filer, if the API lists one."""
        path = routes.COPY_STATUS.path(serviceName=spec.dest_service, datacenterId=spec.dest_datacenter_id)
        entries = self._api.fresh(path, f"reading copy status on {spec.dest_service}")
        mine = [e for e in entries or [] if isinstance(e, dict) and e.get("filerId") == spec.filer_id]
        if not mine:
            return None
        newest = max(mine, key=lambda e: int(e.get("id") or 0))
        progress = newest.get("progress")
        return CopyStatus(
            progress=progress if isinstance(progress, int) else None,
            transferred=str(newest["transfered"]) if newest.get("transfered") is not None else None,
            state=str(newest.get("status") or "unknown"),
        )

    def filers_now(self, service: str, datacenter_id: int) -> list[Filer]:
        """The datacenter's datastores, read now (not from the cache)."""
        filers, _ = self._datacenter_filers(service, datacenter_id, fresh=True)
        return filers

    def filer_exists(self, service: str, datacenter_id: int, filer_id: int) -> bool:
        """Whether the datastore is still there, read now."""
        path = routes.FILER.path(serviceName=service, datacenterId=datacenter_id, filerId=filer_id)
        try:
            self._api.fresh(path, f"reading filer {filer_id}")
        except OvhNotFound:
            return False
        return True

    def get_task(self, service: str, task_id: int) -> Task:
        return to_task(
            self._api.fresh(routes.TASK.path(serviceName=service, taskId=task_id), f"reading task {task_id}")
        )

    def tasks_of(self, service: str) -> list[Task] | None:
        """Every task of the PCC, fresh, in one expanded call; None where the route does not expand
        (the caller then reads task by task)."""
        if not self._api.expands(routes.TASKS):
            return None

        def no_per_id_reads(task_id: int) -> None:
            return None  # a PCC's whole history, one task at a time, is never worth the budget

        tasks = self._api.objects(
            routes.TASKS, no_per_id_reads, f"listing tasks of {service}", fresh=True, serviceName=service
        )
        if not self._api.expands(routes.TASKS):
            return None  # it answered ids this time: the caller reads its own tasks, one by one
        return to_tasks(tasks)

    def get_filer_task(self, service: str, datacenter_id: int, filer_id: int, task_id: int) -> Task:
        """A datastore's task, read where the guides read it; the PCC-level route when that one is not
        served (or the datastore is already gone)."""
        path = routes.FILER_TASK.path(
            serviceName=service, datacenterId=datacenter_id, filerId=filer_id, taskId=task_id
        )
        try:
            return to_task(self._api.fresh(path, f"reading task {task_id} of filer {filer_id}"))
        except OvhNotFound:
            return self.get_task(service, task_id)

    def find_tasks(self, service: str, datacenter_id: int, since: datetime) -> list[Task]:
        """The PCC's tasks in one datacenter executed since ``since``: a bounded search."""
        bodies = self._api.objects(
            routes.GLOBAL_TASKS,
            lambda i: self._api.fresh(routes.TASK.path(serviceName=service, taskId=i), f"reading task {i}"),
            f"listing tasks of {service}",
            fresh=True,
            serviceName=service,
            datacenterId=datacenter_id,
            **{"executionDate.from": since.isoformat()},
        )
        return to_tasks(bodies)

    def filer_tasks(self, service: str, datacenter_id: int, filer_id: int) -> list[Task]:
        """The tasks of one datastore, read where the guides read them."""
        bodies = self._api.read_now(
            routes.FILER_TASKS,
            routes.FILER_TASK,
            "taskId",
            (f"listing tasks of filer {filer_id}", "task"),
            serviceName=service,
            datacenterId=datacenter_id,
            filerId=filer_id,
        )
        return to_tasks(bodies)
