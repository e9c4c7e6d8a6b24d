"""The rules a request must meet before anyone can approve it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.errors import Field
from bot.domain.inventory import JUDGED_OPTION_STATES, Certifications, Pcc

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


def rule_violations(
    *,
    source: Pcc,
    source_certs: Certifications,
    dest: Pcc,
    dest_certs: Certifications,
    policy: ZonePolicy,
) -> list[tuple[Field, str]]:
    """Every rule (docs/commands.md) that the pair breaks, each naming the rule and the values.

    Existence of the PCCs, datacenters and filer is checked before, by looking them up.
    """
    problems: list[tuple[Field, str]] = []
    src, dst = source.service_name, dest.service_name
    if source.zone != policy.source_zone:
        problems.append(
            (Field.SOURCE, f"source {src} is in {source.zone}, but sources must be in {policy.source_zone}")
        )
    if dest.zone == policy.source_zone:
        outside = f"the destination must be outside {policy.source_zone}"
        problems.append((Field.DESTINATION, f"destination {dst} is in {dest.zone}: {outside}"))
    elif not policy.allows_destination(dest.zone):
        allowed = ", ".join(sorted(policy.allowed_zones or {f"{s}…" for s in policy.allowed_sites}))
        problems.append(
            (
                Field.DESTINATION,
                f"destination {dst} is in {dest.zone}, which is not an allowed zone ({allowed})",
            )
        )
    if src == dst:
        problems.append((Field.DESTINATION, f"source and destination are the same PCC ({src})"))
    for (option, src_state), (_, dst_state) in zip(source_certs.options(), dest_certs.options(), strict=True):
        for side, name, state, about in (
            ("source", src, src_state, Field.SOURCE),
            ("destination", dst, dst_state, Field.DESTINATION),
        ):
            if state not in JUDGED_OPTION_STATES:
                problems.append(
                    (
                        about,
                        f"{side} {name} has {option} `{state}`: only enabled or disabled can be judged; "
                        "file again once OVHcloud has settled it",
                    )
                )
        if src_state == "enabled" and dst_state == "disabled":
            problems.append(
                (Field.DESTINATION, f"source {src} has {option} enabled, destination {dst} does not")
            )
    return problems
