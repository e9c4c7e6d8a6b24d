"""What a plan can copy now: each datastore included, or left out with why (another request or plan has
it, it was already copied there). Asked when a plan is filed, again at its approval and at its dispatch.

Part of the service layer: only the Repository port.
"""

from __future__ import annotations

from bot.domain import ACTIVE_STATES, Filer, LeftOut, Plan, PlanItem, PlanState
from bot.usecases.ports import Repository


def sort(
    repo: Repository, source: str, dest: str, dest_dc: int, chosen: list[Filer]
) -> tuple[list[PlanItem], list[LeftOut]]:
    """Each chosen datastore: included, or left out with why."""
    held = taken(repo, source, dest, dest_dc)
    items = [
        PlanItem(f.filer_id, f.name, f.size, f.vm_total, f.space_used_gb)
        for f in chosen
        if f.filer_id not in held
    ]
    left_out = [LeftOut(f.filer_id, f.name, held[f.filer_id]) for f in chosen if f.filer_id in held]
    return items, left_out


def taken(
    repo: Repository, source: str, dest: str, dest_dc: int, besides: int | None = None
) -> dict[int, str]:
    """The source's datastores a plan cannot copy now, with why: another active request (single or of a
    plan) has it, a pending plan other than ``besides`` has it, or it was copied there. One read for the
    lot (a datacenter may hold hundreds of datastores), not one per datastore."""
    why = {i: f"already copied to {dest}/{dest_dc}" for i in repo.copied_filers(source, dest, dest_dc)}
    for plan in repo.plans_in_states([PlanState.PENDING]):
        if plan.source_service == source and plan.id != besides:
            why.update({item.filer_id: f"plan #{plan.id} has it" for item in plan.items})
    for request in repo.in_states(sorted(ACTIVE_STATES)):
        if request.spec.source_service == source:
            why[request.spec.filer_id] = f"request #{request.id} has it ({request.state})"
    return why


def copied_meanwhile(repo: Repository, plan: Plan) -> frozenset[int]:
    """At dispatch: the datastores another request copied there meanwhile (not to be copied twice)."""
    return repo.copied_filers(plan.source_service, plan.dest_service, plan.dest_datacenter_id)
