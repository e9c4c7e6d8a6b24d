"""What filing a request, a restore or a plan shares: every problem under its form field (Findings), the
rules on a pair of PCCs, and a filing stamped now.

Part of the service layer: only the OvhGateway port and the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.domain import Field, Filed, NotFound, Pcc, ZonePolicy, rule_violations
from bot.support.i18n import Text
from bot.usecases.ports import Clock, OvhGateway
from bot.usecases.settings import ServiceSettings

T = TypeVar("T")


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
