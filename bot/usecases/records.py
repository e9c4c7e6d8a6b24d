"""What every use-case family names: the bot as an actor, and a request that must exist."""

from __future__ import annotations

from bot.domain import MigrationRequest, NotFound, Plan
from bot.support.i18n import _
from bot.usecases.ports import Repository

#: The actor of what pcc-bot does by itself, in the audit trail.
BOT = "pcc-bot"


def require(repo: Repository, request_id: int) -> MigrationRequest:
    request = repo.get(request_id)
    if request is None:
        said = _("request #{id} not found", id=request_id)
        raise NotFound(str(said), text=said)
    return request


def require_plan(repo: Repository, plan_id: int) -> Plan:
    plan = repo.get_plan(plan_id)
    if plan is None:
        said = _("plan #{id} not found", id=plan_id)
        raise NotFound(str(said), text=said)
    return plan
