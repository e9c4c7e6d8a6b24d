"""The Veeam batch restore as a use case: the repositories of a PCC, a restore filed with its rules up
front, and the one call an approval makes (through the gate, like the copy's). Its words and rules are
in `bot/domain/restore.py`; the request it files is followed, decided and told like any other.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging

from bot.domain import (
    RESTORE,
    STATE_WORDS,
    Conflict,
    Field,
    MigrationRequest,
    MigrationSpec,
    NotFound,
    RequestDraft,
    RuleViolation,
)
from bot.domain.restore import (
    RESTORE_ROUTE,
    BackupRepository,
    RestoreSpec,
    restore_problems,
)
from bot.support.i18n import Text, _
from bot.usecases import messages
from bot.usecases.family import Ports
from bot.usecases.filed import Findings, filed_now, pair_problems
from bot.usecases.gate import Call, task_started
from bot.usecases.guard import Guard
from bot.usecases.records import require
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import RequestStore

log = logging.getLogger(__name__)


class Restores:
    #: The operation whose requests this use case files (``Decisions`` asks it for their call).
    operation = RESTORE

    def __init__(
        self, ports: Ports, *, requests: RequestStore, settings: ServiceSettings, guard: Guard
    ) -> None:
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests = requests
        self._settings, self._guard = settings, guard

    def repositories(self, service: str, user: str) -> list[BackupRepository]:
        """`/pcc repositories`: the PCC's Veeam repositories and their off-site replication."""
        self._guard.check_reader(user, "the backup repositories of a PCC")
        self._ovh.get_pcc(service)  # an unknown PCC is named as such
        return sorted(self._ovh.backup_repositories(service), key=lambda r: r.name)

    def _repository(self, service: str, name: str) -> BackupRepository:
        found = [r for r in self._ovh.backup_repositories(service) if r.name == name]
        if not found:
            said = _(
                "backup repository {name} not found in PCC {service}; see {command}",
                name=f"`{name}`",
                service=service,
                command=f"`/pcc repositories {service}`",
            )
            raise NotFound(str(said), text=said)
        return found[0]

    def request_restore(self, spec: RestoreSpec, requester: str, channel: str) -> MigrationRequest:
        """Check every rule, store the restore request and post its card. Raises RuleViolation or
        Conflict: nothing is filed that OVHcloud would refuse for a reason the API lets the bot see."""
        self._guard.refuse_if_read_only("filing a restore request")
        findings = Findings()
        look = findings.look
        source = look(Field.SOURCE, lambda: self._ovh.get_pcc(spec.source_service))
        target = look(Field.DESTINATION, lambda: self._ovh.get_pcc(spec.service))
        if target is not None:
            look(
                Field.DESTINATION_DATACENTER,
                lambda: self._ovh.get_datacenter(spec.service, spec.datacenter_id),
            )
        repository = None
        if source is not None:
            repository = look(
                Field.FILER, lambda: self._repository(spec.source_service, spec.repository_name)
            )
        if source is None or target is None or repository is None or findings.problems:
            raise RuleViolation(findings.problems)
        self._refuse_if_active(spec, repository)
        backup = self._ovh.datacenter_backup(spec.service, spec.datacenter_id)
        problems: list[tuple[Field, str | Text]] = [
            (Field.FILER, text) for text in restore_problems(spec, backup, repository)
        ]
        if source.service_name != target.service_name:  # VMs landing in another PCC: the copy's rules
            problems += pair_problems(self._ovh, self._settings.policy, source, target)
        if problems:
            raise RuleViolation(problems)
        filed = filed_now(self._clock, self._settings, requester, channel, (source, target), RESTORE_ROUTE)
        call = self._ovh.restore_call(spec.service, spec.datacenter_id, repository.name, spec.backup_job_name)
        where = MigrationSpec(
            spec.source_service,
            spec.datacenter_id,
            repository.repository_id,
            spec.service,
            spec.datacenter_id,
        )
        draft = RequestDraft(
            **vars(filed),
            spec=where,
            filer_name=repository.name,
            filer_size=repository.replication_zone or "no replication zone",
            vm_total=None,
            api_call=call,
            backup_job_name=spec.backup_job_name,
        )
        request = self._requests.add(draft, card_channel=channel)
        log.info("request #%d filed by %s: %s", request.id, requester, request.api_call)
        self._chat.deliver()
        return require(self._requests, request.id)

    def _refuse_if_active(self, spec: RestoreSpec, repository: BackupRepository) -> None:
        active = self._requests.active_for_filer(spec.source_service, repository.repository_id, restore=True)
        if active is None:
            return
        taken = _(
            "repository {name} already has an active request: #{id} ({state})",
            name=f"`{repository.name}`",
            id=active.id,
            state=STATE_WORDS[active.state],
        )
        plain = _("{taken}; see {link}", taken=taken, link=f"`/pcc status {active.id}`")
        marked = _("{taken}; see {link}", taken=taken, link=messages.thread_said(active))
        raise Conflict(str(plain), text=plain, markup=marked)

    def call(self, request: MigrationRequest) -> Call:
        """The batch restore an approval makes: the repository's name as filed, whatever the clicks."""
        spec = request.spec
        return Call(
            send=lambda: self._ovh.batch_restore(
                spec.dest_service, spec.dest_datacenter_id, request.filer_name, request.backup_job_name
            ),
            action="batch restore started",
            detail=request.api_call,
            records=task_started,
        )
