"""What every use-case family is built with: its ports (OVHcloud, the chat desk, the clock), and its log
lines tagged with the request id. Each family is handed, by name, the repository's members it uses
(usecases/stores.py) and what else it uses (usecases/service.py).

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, NamedTuple, ParamSpec, TypeVar

from bot.support import logs
from bot.usecases.chat import ChatDesk
from bot.usecases.ports import Clock, OvhGateway
from bot.usecases.stores import NoticeStore, RequestStore, VoteStore

T = TypeVar("T")
P = ParamSpec("P")
S = TypeVar("S")


def about_request(method: Callable[Concatenate[S, int, P], T]) -> Callable[Concatenate[S, int, P], T]:
    """Tag the log lines of a use case on one request with its id."""

    @functools.wraps(method)
    def tagged(self: S, request_id: int, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with logs.context(request_id=request_id):
            return method(self, request_id, *args, **kwargs)

    return tagged


@dataclass(frozen=True)
class Ports:
    """What every family that changes or follows requests works with: OVHcloud, the chat (state changes
    and notices: ChatDesk.move) and the clock. The repository's members it reads or writes
    (usecases/stores.py; Approvals: its Ballots), and anything else, a family is handed by name
    (usecases/service.py)."""

    ovh: OvhGateway
    chat: ChatDesk
    clock: Clock

    def unpacked(self) -> tuple[OvhGateway, ChatDesk, Clock]:
        return self.ovh, self.chat, self.clock


class Ballots(NamedTuple):
    """What Approvals (usecases/approvals.py) records and reads: the requests, the approvals counted
    towards their quorum, and the notices that tell who approved so far."""

    requests: RequestStore
    votes: VoteStore
    notices: NoticeStore
