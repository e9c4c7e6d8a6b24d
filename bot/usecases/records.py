"""What every use-case family names: the bot as an actor, and a request or plan that must exist."""

from __future__ import annotations

from typing import TypeVar

from bot.domain import MigrationRequest, NotFound, Plan
from bot.support.i18n import Text, _
from bot.usecases.ports import Repository

#: The actor of what pcc-bot does by itself, in the audit trail.
BOT = "pcc-bot"

T = TypeVar("T")


def _found(record: T | None, missing: Text) -> T:
    if record is None:
        raise NotFound(str(missing), text=missing)
    return record


def require(repo: Repository, request_id: int) -> MigrationRequest:
    return _found(repo.get(request_id), _("request #{id} not found", id=request_id))


def require_plan(repo: Repository, plan_id: int) -> Plan:
    return _found(repo.get_plan(plan_id), _("plan #{id} not found", id=plan_id))
