"""What the use-case families share: who may see and decide and the read-only switch (Guard), the rules
on a pair of PCCs, log lines tagged with the request id. Each family is handed, by name, the ports it
uses (usecases/service.py).

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from bot.domain import (
    Field,
    Filed,
    MigrationRequest,
    NotAllowed,
    NotFound,
    Pcc,
    Plan,
    ZonePolicy,
    rule_violations,
)
from bot.support import logs
from bot.support.i18n import Text, _
from bot.usecases.chat import ChatDesk
from bot.usecases.pause import Switch
from bot.usecases.ports import Clock, Directory, OvhGateway, Repository
from bot.usecases.refusal_words import said_as
from bot.usecases.settings import ServiceSettings

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
    """What every family that changes or follows requests works with: OVHcloud, the repository, the
    chat (state changes and notices: ChatDesk.move) and the clock. Anything else a family is handed by
    name (usecases/service.py)."""

    ovh: OvhGateway
    repo: Repository
    chat: ChatDesk
    clock: Clock

    def unpacked(self) -> tuple[OvhGateway, Repository, ChatDesk, Clock]:
        return self.ovh, self.repo, self.chat, self.clock


class Guard:
    """Who may see and who may decide (re-checked on every click), the read-only switch and the pause."""

    def __init__(self, directory: Directory, settings: ServiceSettings, switch: Switch | None = None) -> None:
        self.directory = directory
        self.settings = settings
        self.switch = switch  # the runtime pause (usecases/pause.py); None: PCC_READ_ONLY only

    def is_approver(self, user: str, *, fresh: bool = False) -> bool:
        """A listed user, or a member of a listed user group (read from Slack: cached briefly for
        what is shown, ``fresh`` for a decision)."""
        if user in self.settings.approver_users:
            return True
        return any(
            user in self.directory.group_members(g, fresh=fresh)
            for g in sorted(self.settings.approver_groups)
        )

    def may_read(self, user: str) -> bool:
        """PCC_READERS: anyone when empty, else a listed user, a member of a listed group, or an approver."""
        readers = self.settings.readers
        if not readers or user in readers or self.is_approver(user):
            return True
        return any(user in self.directory.group_members(g) for g in sorted(readers) if g.startswith("S"))

    def check_reader(self, user: str, what: str | Text) -> None:
        if not self.may_read(user):
            said = _(
                "only the people listed in PCC_READERS (and the approvers) can see {what}; ask an "
                "approver to add you",
                what=said_as(what),
            )
            raise NotAllowed(str(said), text=said)

    def may_decide(self, request: MigrationRequest, user: str) -> bool:
        """Four eyes: an approver who is not the requester."""
        return user != request.requester and self.is_approver(user)

    def check_approver(
        self, request: MigrationRequest | Plan, user: str, decision: str = "approve or reject"
    ) -> None:
        """Re-checked on every click, with the group's members read now: a listed user or group member,
        never the requester. ``decision`` says what the click asked for, in the refusal."""
        what = (
            _("plan #{id}", id=request.id) if isinstance(request, Plan) else _("request #{id}", id=request.id)
        )
        if user == request.requester:
            said = _(
                "you filed {what} yourself: someone else, listed in PCC_APPROVERS, has to {decision} it",
                what=what,
                decision=said_as(decision),
            )
            raise NotAllowed(str(said), text=said)
        if not self.is_approver(user, fresh=True):
            said = _(
                "only the approvers listed in PCC_APPROVERS can {decision} {what}",
                decision=said_as(decision),
                what=what,
            )
            raise NotAllowed(str(said), text=said)

    def refuse_if_paused(self, what: Text) -> None:
        """A decision that leads to a mutating call, refused while pcc-bot is paused (`/pcc pause`, or
        PCC_READ_ONLY=1): nothing is counted or sent (``Paused`` says who paused and why)."""
        if self.switch is not None:
            self.switch.check(what)
        elif self.settings.read_only:
            self.refuse_if_read_only(str(what))

    def refuse_if_read_only(self, what: str) -> None:
        if self.settings.read_only:
            said = _(
                "pcc-bot is in read-only mode (PCC_READ_ONLY=1): {what} is switched off. Listing, status, "
                "cancel and reject still work.",
                what=said_as(what),
            )
            raise NotAllowed(str(said), text=said)


class Findings:
    """Reads of what a person named, each of which may find nothing: a miss becomes a problem under
    the form field it is about, so that every one is reported at once."""

    def __init__(self) -> None:
        self.problems: list[tuple[Field, str | Text]] = []

    def look(self, field: Field, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except NotFound as missing:
            self.problems.append((field, missing.text or str(missing)))
            return None


def pair_problems(
    ovh: OvhGateway, policy: ZonePolicy, source: Pcc, dest: Pcc, *, fresh: bool = False
) -> list[tuple[Field, str | Text]]:
    """The rules on a source and a destination PCC (zones, HDS, PCI-DSS: both sides always read;
    ``fresh``: read now, not from the inventory cache)."""
    return rule_violations(
        source=source,
        source_certs=ovh.get_certifications(source.service_name, fresh=fresh),
        dest=dest,
        dest_certs=ovh.get_certifications(dest.service_name, fresh=fresh),
        policy=policy,
    )


def filed_now(
    clock: Clock, settings: ServiceSettings, requester: str, channel: str, pair: tuple[Pcc, Pcc], route: str
) -> Filed:
    """A request or a plan filed now by ``requester`` in ``channel``, approvable for the configured time,
    from the first PCC of ``pair`` to the second by ``route``."""
    now = clock.now()
    source, dest = pair
    return Filed(
        requester=requester,
        channel=channel,
        created_at=now,
        expires_at=now + settings.approval_ttl,
        source_zone=source.zone,
        dest_zone=dest.zone,
        route=route,
    )
