"""The copy of a datastore (copyFiler, or the older migration routes): the operation a request is filed
for by default. Its words and how a doubt about it is settled; the call is `Decisions.launch`."""

from __future__ import annotations

from bot.domain.inventory import StartedTask, Task
from bot.domain.operations.base import Launch, joined, restore_name
from bot.domain.request import MigrationRequest
from bot.support.datetoken import date_token
from bot.support.i18n import Param, Text, _
from bot.support.mrkdwn import esc

#: Appended to a request's call when OVHcloud's API description did not list its route at filing.
ROUTE_ABSENT = " (route absent from OVHcloud's API description)"
#: What the card then says, before anyone approves.
ROUTE_ABSENT_SAID = _(
    ":warning: OVHcloud's published API description no longer lists this route: approving will very "
    "probably fail (404). `pcc-bot doctor` checks every route."
)


def where(request: MigrationRequest) -> Text:
    spec = request.spec
    return _(
        "filer {name} ({id}) of {source} → {dest} datacenter {dc} ({zone})",
        name=f"*{esc(request.filer_name)}*",
        id=spec.filer_id,
        source=spec.source_service,
        dest=spec.dest_service,
        dc=spec.dest_datacenter_id,
        zone=esc(request.dest_zone),
    )


class Migration(Launch):
    title = _("Datastore copy request")
    in_doubt_meaning = _("the migration call got no clear answer: it may have started")
    confirm_note = _("replication takes hours")
    after_refusal = _("Nothing was started; file a new request once the cause is fixed.")
    twins = True

    def call(self, request: MigrationRequest) -> Text:
        return _("the call {call}", call=f"`{request.api_call}`")

    def called(self, request: MigrationRequest, task: StartedTask, user: str) -> Text:
        query = _(" (OVH query id {query})", query=esc(task.query_id)) if task.query_id else ""
        return _(
            "Replication started for request #{id}: {where}. OVHcloud task {task}{query}. Progress is "
            "shown on the card; completion will be announced here.",
            where=where(request),
            query=query,
            id=request.id,
            task=str(task.task_id),
        )

    def checking(self, request: MigrationRequest, since: Param) -> Text:
        spec = request.spec
        return _(
            "checking the tasks of {dest} datacenter {dc} for a {route} task on filer {filer}{after}",
            dest=spec.dest_service,
            dc=spec.dest_datacenter_id,
            route=f"`{request.route}`",
            filer=spec.filer_id,
            after=since,
        )

    def after_close(self, request: MigrationRequest) -> Text:
        return _("The filer {filer} can be requested again.", filer=request.spec.filer_id)

    def card_lines(self, request: MigrationRequest) -> Text:
        spec = request.spec
        vms = "?" if request.vm_total is None else str(request.vm_total)
        lines = [
            _(
                "*Requested by* {who} at {at}",
                who=f"<@{request.requester}>",
                at=date_token(request.created_at),
            ),
            _(
                "*Source* {service} · datacenter {dc} · {zone}",
                service=spec.source_service,
                dc=spec.source_datacenter_id,
                zone=esc(request.source_zone),
            ),
            _(
                "*Filer* {name} (id {id}) · {size} · {vms} VM(s)",
                name=f"`{esc(request.filer_name)}`",
                id=spec.filer_id,
                size=esc(request.filer_size),
                vms=vms,
            ),
            _(
                "*Destination* {service} · datacenter {dc} · {zone}",
                service=spec.dest_service,
                dc=spec.dest_datacenter_id,
                zone=esc(request.dest_zone),
            ),
            _("*Approval will call* {call}", call=f"`{request.api_call}`"),
        ]
        if request.api_call.endswith(ROUTE_ABSENT):
            lines.append(ROUTE_ABSENT_SAID)
        if request.plan_id:
            lines.append(
                _(
                    "*Part of plan #{plan}*: approved with it, its board is in {channel}",
                    plan=request.plan_id,
                    channel=f"<#{request.channel}>",
                )
            )
        return joined(lines)

    def about(self, request: MigrationRequest) -> Text:
        return _(
            "copy of filer {filer} from {source}",
            filer=request.spec.filer_id,
            source=request.spec.source_service,
        )

    def completed(self, request: MigrationRequest) -> Text:
        return _(
            ":white_check_mark: Request #{id} done: {where}.\n"
            "The copy is mounted as datastore {copy} on every host of datacenter {dc}. It is "
            "*read-only*.\n"
            "Next: register the VMs from {copy} in the vSphere inventory, then *clone each VM to a "
            "writable datastore before powering it on* (powering on from the copy fails with "
            '"Unable to write the VMX file"). Once every VM is cloned, an approver removes the copy '
            "with *Remove copy*. (OVHcloud task {task})",
            id=request.id,
            where=where(request),
            copy=f"`{restore_name(request)}`",
            dc=request.spec.dest_datacenter_id,
            task=str(request.task_id),
        )

    def failed(self, request: MigrationRequest, task: Task) -> Text:
        retry = (
            _("An approver can relaunch it with *Retry* on the card (resetTaskState).")
            if task.state == "error"
            else ""
        )
        return _(
            ":x: Request #{id} failed: {where}. OVHcloud task {task} ended {state}{detail}. Give "
            "OVHcloud support the task id {task}.{retry}",
            id=request.id,
            where=where(request),
            task=str(task.task_id),
            state=f"`{esc(task.state)}`",
            detail=f": {esc(task.description)}" if task.description else "",
            retry=_(" {said}", said=retry) if retry else "",
        )


BEHAVIOUR = Migration()
