"""The rules a request must meet before anyone can approve it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.errors import Field
from bot.domain.inventory import JUDGED_OPTION_STATES, Certifications, Pcc
from bot.support.i18n import Param, Text, _

#: The sites copyFiler (the second generation, 2 April 2021) copies to: Roubaix, Limburg, Erith.
COPY_FILER_SITES = frozenset({"rbx", "lim", "eri"})


@dataclass(frozen=True)
class ZonePolicy:
    source_zone: str = "sbg1a"
    allowed_zones: frozenset[str] = field(default_factory=frozenset)
    #: Sites (a zone's first three letters) destinations must be at, when no zone is listed.
    allowed_sites: frozenset[str] = field(default_factory=frozenset)

    def is_source_zone(self, zone: str) -> bool:
        return zone == self.source_zone

    def allows_destination(self, zone: str) -> bool:
        if zone == self.source_zone:
            return False
        if self.allowed_zones:
            return zone in self.allowed_zones
        return not self.allowed_sites or zone[:3].lower() in self.allowed_sites


def _where(pcc: Pcc, policy: ZonePolicy) -> dict[str, Param]:
    """What a zone rule's text names: the PCC, its zone, the zone sources must be in."""
    return {"pcc": pcc.service_name, "zone": pcc.zone, "source_zone": policy.source_zone}


def rule_violations(
    *,
    source: Pcc,
    source_certs: Certifications,
    dest: Pcc,
    dest_certs: Certifications,
    policy: ZonePolicy,
) -> list[tuple[Field, str | Text]]:
    """Every rule (docs/commands.md) that the pair breaks, each naming the rule and the values, not
    yet in any language.

    Existence of the PCCs, datacenters and filer is checked before, by looking them up.
    """
    problems: list[tuple[Field, str | Text]] = []
    src, dst = source.service_name, dest.service_name
    if source.zone != policy.source_zone:
        said = _("source {pcc} is in {zone}, but sources must be in {source_zone}", **_where(source, policy))
        problems.append((Field.SOURCE, said))
    if dest.zone == policy.source_zone:
        said = _(
            "destination {pcc} is in {zone}: the destination must be outside {source_zone}",
            **_where(dest, policy),
        )
        problems.append((Field.DESTINATION, said))
    elif not policy.allows_destination(dest.zone):
        allowed = ", ".join(sorted(policy.allowed_zones or {f"{s}…" for s in policy.allowed_sites}))
        said = _(
            "destination {pcc} is in {zone}, which is not an allowed zone ({allowed})",
            allowed=allowed,
            **_where(dest, policy),
        )
        problems.append((Field.DESTINATION, said))
    if src == dst:
        problems.append((Field.DESTINATION, _("source and destination are the same PCC ({src})", src=src)))
    for (option, src_state), (_o, dst_state) in zip(
        source_certs.options(), dest_certs.options(), strict=True
    ):
        for side, name, state, about in (
            (_("source"), src, src_state, Field.SOURCE),
            (_("destination"), dst, dst_state, Field.DESTINATION),
        ):
            if state not in JUDGED_OPTION_STATES:
                said = _(
                    "{side} {name} has {option} {state}: only enabled or disabled can be judged; file again "
                    "once OVHcloud has settled it",
                    side=side,
                    name=name,
                    option=option,
                    state=f"`{state}`",
                )
                problems.append((about, said))
        if src_state == "enabled" and dst_state == "disabled":
            said = _(
                "source {src} has {option} enabled, destination {dst} does not",
                src=src,
                option=option,
                dst=dst,
            )
            problems.append((Field.DESTINATION, said))
    return problems
