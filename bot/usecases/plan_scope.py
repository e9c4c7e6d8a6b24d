"""What a plan can copy now: each datastore included, or left out with why (another request or plan has
it, it was already copied there). Asked when a plan is filed, again at its approval and at its dispatch.

Part of the service layer: the requests' and plans' stores, and the chat desk for a datastore left out
at dispatch.
"""

from __future__ import annotations

from bot.domain import ACTIVE_STATES, Filer, LeftOut, Plan, PlanItem, PlanState, State
from bot.usecases.chat import ChatDesk
from bot.usecases.ports import Change
from bot.usecases.records import BOT
from bot.usecases.stores import PlanStore, RequestStore


def sort(
    requests: RequestStore, plans: PlanStore, source: str, dest: str, dest_dc: int, chosen: list[Filer]
) -> tuple[list[PlanItem], list[LeftOut]]:
    """Each chosen datastore: included, or left out with why."""
    held = taken(requests, plans, source, dest, dest_dc)
    items = [
        PlanItem(f.filer_id, f.name, f.size, f.vm_total, f.space_used_gb)
        for f in chosen
        if f.filer_id not in held
    ]
    left_out = [LeftOut(f.filer_id, f.name, held[f.filer_id]) for f in chosen if f.filer_id in held]
    return items, left_out


def taken(
    requests: RequestStore, plans: PlanStore, source: str, dest: str, dest_dc: int, besides: int | None = None
) -> dict[int, str]:
    """The source's datastores a plan cannot copy now, with why: another active request (single or of a
    plan) has it, a pending plan other than ``besides`` has it, or it was copied there. One read for the
    lot (a datacenter may hold hundreds of datastores), not one per datastore."""
    why = {i: f"already copied to {dest}/{dest_dc}" for i in requests.copied_filers(source, dest, dest_dc)}
    for plan in plans.in_states([PlanState.PENDING]):
        if plan.source_service == source and plan.id != besides:
            why.update({item.filer_id: f"plan #{plan.id} has it" for item in plan.items})
    for request in requests.in_states(sorted(ACTIVE_STATES)):
        if request.spec.source_service == source:
            why[request.spec.filer_id] = f"request #{request.id} has it ({request.state})"
    return why


def copied_meanwhile(requests: RequestStore, plan: Plan) -> frozenset[int]:
    """At dispatch: the datastores another request copied there meanwhile (not to be copied twice)."""
    return requests.copied_filers(plan.source_service, plan.dest_service, plan.dest_datacenter_id)


def leave_out_copied(requests: RequestStore, plans: PlanStore, chat: ChatDesk, plan: Plan) -> None:
    """Before a dispatch (or its resumption): a queued datastore another request copied meanwhile is
    cancelled, not copied twice."""
    copied = copied_meanwhile(requests, plan)
    where = f"{plan.dest_service}/{plan.dest_datacenter_id}"
    for item in plans.items(plan.id):
        if item.state == State.PENDING and item.spec.filer_id in copied:
            change = Change(
                actor=BOT, action="left out", detail=f"plan #{plan.id}: already copied to {where}"
            )
            chat.move(item, State.PENDING, State.CANCELLED, change, deliver=False)
