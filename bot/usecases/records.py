"""What every use-case family names: the bot as an actor, and a request that must exist."""

from __future__ import annotations

from bot.domain import MigrationRequest, NotFound
from bot.support.i18n import _
from bot.usecases.stores import RequestStore

#: The actor of what pcc-bot does by itself, in the audit trail.
BOT = "pcc-bot"


def require(requests: RequestStore, request_id: int) -> MigrationRequest:
    request = requests.get(request_id)
    if request is None:
        said = _("request #{id} not found", id=request_id)
        raise NotFound(str(said), text=said)
    return request
