"""Filing a request: the form's lists (from memory, never waiting on OVHcloud) and the rules checked
before anyone can approve.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.domain import (
    NOT_AN_OPTION,
    STATE_WORDS,
    Conflict,
    Field,
    MigrationRequest,
    MigrationSpec,
    PlanState,
    RequestDraft,
    RuleViolation,
)
from bot.domain.policy import PolicyOperation
from bot.support.i18n import Text, _
from bot.usecases import messages
from bot.usecases.approvals import Approvals
from bot.usecases.family import Ports
from bot.usecases.filed import Findings, filed_now, pair_problems
from bot.usecases.guard import Guard
from bot.usecases.records import require
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import PlanStore, RequestStore
from bot.usecases.warm_lists import Listed, WarmLists

log = logging.getLogger(__name__)


#: Slack shows at most 100 options; past that the last one says how many more match.
FORM_OPTIONS = 100
#: A list as known now, and its (value, label) options.
_Options = tuple[Listed, list[tuple[str, str]]]


class Filing:
    def __init__(
        self,
        ports: Ports,
        *,
        requests: RequestStore,
        plans: PlanStore,
        settings: ServiceSettings,
        lists: WarmLists,
        guard: Guard,
        approvals: Approvals,
    ) -> None:
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests, self._plans = requests, plans
        self._settings, self._lists, self._guard = settings, lists, guard
        self._approvals = approvals  # a policy rule's own ttl (PCC_POLICY)

    def warm_form(self, user: str) -> None:
        """The form is about to open: only for a reader (its lists show every PCC and datastore); start
        loading its first list."""
        self._guard.check_reader(user, "the migrate form's lists of PCCs and datastores")
        self._lists.get("pccs", self._ovh.list_pccs)

    def form_options(
        self, field: Field, typed: str, chosen: dict[Field, str], user: str
    ) -> list[tuple[str, str | Text]]:
        """(value, label) pairs for one field of the migrate form, from lists kept warm in memory,
        filtered by what the person typed; never waits on OVHcloud. A list still loading (or that could
        not be loaded) is one option saying so, whose value (``NOT_AN_OPTION``) the submit refuses. A
        field that depends on another one offers nothing until it is chosen. Someone PCC_READERS leaves
        out gets one option saying so, and nothing else."""
        if not self._guard.may_read(user):
            return [(NOT_AN_OPTION, "Only PCC_READERS and the approvers see these lists")]
        found: _Options | None
        if field in (Field.SOURCE, Field.DESTINATION):
            found = self._pcc_options(field)
        elif field in (Field.SOURCE_DATACENTER, Field.DESTINATION_DATACENTER):
            found = self._datacenter_options(field, chosen)
        else:
            found = self._filer_options(chosen)
        if found is None:
            return []
        listed, options = found
        if listed.items is None:
            note = (
                _("Could not load the list: {error}; type again in a moment", error=listed.error)
                if listed.error
                else _("Loading from OVHcloud… type again in a moment")
            )
            return [(NOT_AN_OPTION, note)]
        needle = typed.strip().lower()
        matching: list[tuple[str, str | Text]] = [
            (value, label[:75]) for value, label in options if needle in label.lower()
        ]
        if len(matching) <= FORM_OPTIONS:
            return matching
        more = len(matching) - FORM_OPTIONS + 1
        narrow = _("…{count} more: type to narrow the list", count=more)
        return [*matching[: FORM_OPTIONS - 1], (NOT_AN_OPTION, narrow)]

    def _pcc_options(self, field: Field) -> _Options:
        policy = self._settings.policy
        listed = self._lists.get("pccs", self._ovh.list_pccs)
        wanted = policy.is_source_zone if field == Field.SOURCE else policy.allows_destination
        pccs = [p for p in listed.items or [] if wanted(p.zone)]
        return listed, [(p.service_name, f"{p.service_name} ({p.zone}) {p.description}") for p in pccs]

    def _datacenter_options(self, field: Field, chosen: dict[Field, str]) -> _Options | None:
        service = chosen.get(Field.SOURCE if field == Field.SOURCE_DATACENTER else Field.DESTINATION)
        if not service:
            return None
        pcc: str = service
        listed = self._lists.get(("dcs", pcc), lambda: self._ovh.list_datacenters(pcc))
        dcs = listed.items or []
        return listed, [
            (str(dc.datacenter_id), f"{dc.datacenter_id} {dc.name} {dc.commercial_name}") for dc in dcs
        ]

    def _filer_options(self, chosen: dict[Field, str]) -> _Options | None:
        service, dc_text = chosen.get(Field.SOURCE), chosen.get(Field.SOURCE_DATACENTER)
        if not service or not dc_text or not dc_text.isdigit():
            return None
        dc = int(dc_text)
        listed = self._lists.get(
            ("filers", service, dc),
            lambda: [f for d in self._ovh.filer_listing(service, dc).datacenters for f in d.filers],
        )
        return listed, [
            (str(f.filer_id), f"{f.name} ({f.size}, {'?' if f.vm_total is None else f.vm_total} VMs)")
            for f in listed.items or []
        ]

    def _refuse_if_in_a_pending_plan(self, spec: MigrationSpec) -> None:
        """A datastore a pending plan copies is the plan's until it is decided (once approved, its
        request is active and refused above, naming the plan)."""
        for plan in self._plans.in_states([PlanState.PENDING]):
            if plan.source_service == spec.source_service and spec.filer_id in plan.filer_ids:
                raise Conflict(
                    f"filer {spec.filer_id} of {spec.source_service} is in plan #{plan.id}, pending: "
                    "approve or reject the plan, or its requester withdraws it"
                    f" (`/pcc cancel plan {plan.id}`)"
                )

    def request_migration(self, spec: MigrationSpec, requester: str, channel: str) -> MigrationRequest:
        """Check every rule, store the request and post its card. Raises RuleViolation or Conflict."""
        self._guard.refuse_if_read_only("filing a migration request")
        active = self._requests.active_for_filer(spec.source_service, spec.filer_id)
        if active is not None:
            of_plan = _(" of plan #{plan}", plan=active.plan_id) if active.plan_id is not None else ""
            taken = _(
                "filer {filer} of {service} already has an active request: #{id} ({state}){of_plan}",
                filer=spec.filer_id,
                service=spec.source_service,
                id=active.id,
                state=STATE_WORDS[active.state],
                of_plan=of_plan,
            )
            plain = _("{taken}; see {link}", taken=taken, link=f"`/pcc status {active.id}`")
            marked = _("{taken}; see {link}", taken=taken, link=messages.thread_said(active))
            raise Conflict(str(plain), text=plain, markup=marked)
        self._refuse_if_in_a_pending_plan(spec)
        findings = Findings()
        look = findings.look
        source = look(Field.SOURCE, lambda: self._ovh.get_pcc(spec.source_service))
        dest = look(Field.DESTINATION, lambda: self._ovh.get_pcc(spec.dest_service))
        filer = None
        if source and look(
            Field.SOURCE_DATACENTER,
            lambda: self._ovh.get_datacenter(spec.source_service, spec.source_datacenter_id),
        ):
            filer = look(
                Field.FILER,
                lambda: self._ovh.get_filer(spec.source_service, spec.source_datacenter_id, spec.filer_id),
            )
        if dest:
            look(
                Field.DESTINATION_DATACENTER,
                lambda: self._ovh.get_datacenter(spec.dest_service, spec.dest_datacenter_id),
            )
        if source is None or dest is None or filer is None or findings.problems:
            raise RuleViolation(findings.problems)
        problems = pair_problems(self._ovh, self._settings.policy, source, dest)
        if problems:
            raise RuleViolation(problems)
        route = self._ovh.migration_route
        filed = filed_now(self._clock, self._settings, requester, channel, (source, dest), route)
        rule = self._approvals.rule_of(spec, filer.size, PolicyOperation.COPY)
        if rule is not None and rule.ttl is not None:  # the policy's rule says how long it stays approvable
            filed = replace(filed, expires_at=filed.created_at + rule.ttl)
        call = self._ovh.migration_call(spec, route)
        if self._ovh.route_absent(route):  # said on the card, in the call it shows, before any click
            call += messages.ROUTE_ABSENT
        request = self._requests.add(RequestDraft.of(filed, spec, filer, call), card_channel=channel)
        log.info("request #%d filed by %s: %s", request.id, requester, request.api_call)
        self._chat.deliver()
        return require(self._requests, request.id)
