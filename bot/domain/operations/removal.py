"""The read-only copy removed once the VMs are cloned (removeFiler, Remove copy): its words and how a
doubt about it is settled (the copy gone, else its own tasks), and the call itself (`Decisions.decide`
makes it, once the copy's datastore id is read again)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from bot.domain.inventory import StartedTask
from bot.domain.operations import launch_of
from bot.domain.operations.base import Behaviour, Mutation, Reading, restore_name
from bot.domain.policy import PolicyOperation
from bot.domain.request import MigrationRequest, RequestFields
from bot.support.i18n import Param, Text, _
from bot.support.mrkdwn import esc


class Removal(Behaviour):
    in_doubt_meaning = _("the removal call got no clear answer: the copy may be being removed")
    after_refusal = _(
        "The copy is still there. A datastore that still holds VMs cannot be removed: clone or "
        "unregister them first."
    )
    reading = Reading.COPY_GONE
    task_field: ClassVar[str] = "removal_task_id"
    policy_name = PolicyOperation.REMOVE_COPY
    button, label, word = "remove_copy", _("Remove copy"), "remove"
    refusal = _("remove the copy of")
    step_up = True
    about_copy = True

    def subject(self, request: MigrationRequest) -> str:
        return f"remove-{request.id}-{request.episode}"  # one removal: a later one is approved anew

    def offered(self, request: MigrationRequest) -> bool:
        """Once the copy is done, unless the operation that launched the request leaves no copy."""
        return launch_of(request).done_button == self.button

    def doing(self, request_id: int) -> Text:
        return _("removing the copy of request #{id}", id=request_id)

    def unavailable(self, request: MigrationRequest) -> str:
        if launch_of(request).done_button != self.button:
            return f"request #{request.id} left no copy to remove"
        return f"request #{request.id} is {request.state}: only a finished copy can be removed"

    def heading(self, request_id: int) -> Text:
        return _("Remove the copy of request #{id}", id=request_id)

    def mutation(self, request: MigrationRequest, user: str) -> Mutation:
        spec, name, copy_id = request.spec, restore_name(request), request.copy_filer_id or 0
        return Mutation(
            route="removeFiler",
            params={
                "serviceName": spec.dest_service,
                "datacenterId": spec.dest_datacenter_id,
                "filerId": copy_id,
            },
            approved="copy removal approved",
            done="copy removal started",
            detail=f"removeFiler on {name} (filer {copy_id})",
            fields={"copy_filer_id": copy_id, "removal_task_id": None},
        )

    def records(self, task: StartedTask, now: datetime) -> RequestFields:
        return {"removal_task_id": task.task_id}

    def confirm(self, request: MigrationRequest) -> tuple[Text, Text]:
        said = _(
            "Only once every VM is cloned to a writable datastore: this removes datastore {name} from "
            "datacenter {dc} of {service}.",
            name=f"`{esc(restore_name(request))}`",
            dc=request.spec.dest_datacenter_id,
            service=request.spec.dest_service,
        )
        return _("Remove the read-only copy?"), said

    def tracked(self, request: MigrationRequest) -> bool:
        return request.removal_task_id is not None  # a removal stays `removing` once called: its task ends it

    def task_filer(self, request: MigrationRequest) -> int | None:
        return request.copy_filer_id

    def task_names(self, request: MigrationRequest) -> frozenset[str]:
        return frozenset({"removefiler"})

    def call(self, request: MigrationRequest) -> Text:
        return _("the removal of {copy}", copy=f"`{restore_name(request)}`")

    def called(self, request: MigrationRequest, task: StartedTask, user: str) -> Text:
        return _(
            ":wastebasket: {who} approved removing {copy}, the copy of request #{id}, from {dest} "
            "datacenter {dc} (OVHcloud task {task}).",
            who=f"<@{user}>",
            copy=f"`{restore_name(request)}`",
            dest=request.spec.dest_service,
            dc=request.spec.dest_datacenter_id,
            id=request.id,
            task=str(task.task_id),
        )

    def checking(self, request: MigrationRequest, since: Param) -> Text:
        filer = _(" (filer {id})", id=request.copy_filer_id) if request.copy_filer_id is not None else ""
        return _(
            "checking whether {copy}{filer} is gone from datacenter {dc}, and for its `removeFiler` "
            "task{after}",
            copy=f"`{restore_name(request)}`",
            filer=filer,
            dc=request.spec.dest_datacenter_id,
            after=since,
        )

    def settled_by(self, request: MigrationRequest) -> Text:
        return _(
            "an approver adopts the right task from the card, or closes the doubt with *Close: not "
            "started* when the removal did not start."
        )

    def after_close(self, request: MigrationRequest) -> Text:
        return _("The copy is still there; *Remove copy* is offered again.")


BEHAVIOUR = Removal()
