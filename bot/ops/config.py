"""Configuration: read once, from the environment (and a `.env` file), into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.adapters.ovh.credentials import OvhCredentials
from bot.domain import COPY_FILER_SITES, MigrationApi, PccBotError, ZonePolicy
from bot.domain.policy import Policy
from bot.domain.policy_file import parse_policy
from bot.ops.variables import SETTINGS, Invalid, default
from bot.support.locations import redact


class ConfigError(PccBotError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("configuration problems:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Config:
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = default("SLACK_API_URL")
    ovh: OvhCredentials = field(default_factory=lambda: OvhCredentials(endpoint=default("OVH_ENDPOINT")))
    db_path: str = default("PCC_DB_PATH")
    #: PostgreSQL (several replicas) instead of the SQLite file; holds a password: never printed.
    database_url: str | None = None
    approvers: frozenset[str] = frozenset()
    #: Who may see requests and the inventory (users and user groups; empty: anyone).
    readers: frozenset[str] = frozenset()
    incident_channel: str | None = None
    poll_seconds: int = default("PCC_POLL_SECONDS")
    policy: ZonePolicy = field(default_factory=ZonePolicy)
    migration_api: str = default("PCC_MIGRATION_API")
    approval_ttl: timedelta = field(default_factory=lambda: default("PCC_APPROVAL_TTL"))
    log_level: str = default("LOG_LEVEL")
    log_format: str = default("LOG_FORMAT")
    read_only: bool = False
    #: The approval policy read from PCC_POLICY (None: one approver from PCC_APPROVERS).
    approval_policy: Policy | None = None
    ovh_rate: int = default("PCC_OVH_RATE")
    #: Seconds inventory facts (zones, options, datacenters, datastore lists) are reused.
    inventory_ttl: int = default("PCC_INVENTORY_TTL")
    stall_seconds: int = default("PCC_STALL_SECONDS")
    allowed_channels: frozenset[str] = frozenset()
    #: HTTP mode: where /readyz and /metrics listen, apart from Slack's public traffic ("host:port").
    ops_bind: str = default("PCC_OPS_BIND")
    port: int = default("PORT")
    #: When set, /readyz and /metrics want `Authorization: Bearer <token>`.
    ops_token: str | None = None
    #: The language of what a channel sees; a person's own answers follow their Slack locale.
    locale: str = default("PCC_LOCALE")

    def __repr__(self) -> str:  # never print secrets
        return f"Config(database={self.database_shown!r}, ovh_endpoint={self.ovh.endpoint!r}, ...)"

    @property
    def database(self) -> str:
        """Where the repository lives: the PostgreSQL URL when set, else the SQLite file."""
        return self.database_url or self.db_path

    @property
    def database_shown(self) -> str:
        """The database, fit for a log line or a message (no password)."""
        return redact(self.database)

    @property
    def shared_database(self) -> bool:
        """Other replicas may use the same database (PostgreSQL)."""
        return self.database_url is not None

    def require_for_serve(self, http: bool, *, quiet_about_mode: bool = False) -> None:
        """What serving needs; ``quiet_about_mode`` leaves the Slack mode to the caller (doctor)."""
        problems = []
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is required (the xoxb- bot token)")
        elif not self.slack_bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if not quiet_about_mode and http and not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is required in HTTP mode (`pcc-bot serve --http`)")
        if not quiet_about_mode and not http and not self.slack_app_token:
            problems.append(
                "SLACK_APP_TOKEN (xapp-) is required in Socket Mode; or serve over HTTP with --http and "
                "SLACK_SIGNING_SECRET"
            )
        if not self.approvers:
            problems.append("PCC_APPROVERS is required: Slack user ids (U…) or user group ids (S…)")
        ovh = self.ovh
        if not (ovh.application_key and ovh.application_secret and ovh.consumer_key) and not (
            ovh.client_id and ovh.client_secret
        ):
            problems.append(
                "OVHcloud credentials: set OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and "
                "OVH_CONSUMER_KEY, or OVH_CLIENT_ID and OVH_CLIENT_SECRET"
            )
        if problems:
            raise ConfigError(problems)


def split_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


def read(env: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Every setting of the table parsed (its default when unset), and every problem, each naming the
    variable, what it holds and what it should."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for setting in SETTINGS:
        raw = env.get(setting.name, "").strip()
        try:
            values[setting.name] = setting.parse(raw or setting.default)
        except Invalid as error:
            shown = "a value that is not shown" if setting.secret else repr(raw[:60])
            said = (
                f"{setting.name}: {error}" if error.quotes_value else f"{setting.name} {error}, got {shown}"
            )
            problems.append(said)
            values[setting.name] = setting.parse(setting.default)
    return values, problems


def _policy(values: dict[str, Any], problems: list[str]) -> ZonePolicy:
    (source,) = values["PCC_SOURCE_ZONE"] or {"sbg1a"}
    zones: frozenset[str] = values["PCC_ALLOWED_ZONES"]
    if source in zones:
        problems.append(
            f"PCC_ALLOWED_ZONES lists the source zone {source}: a copy must leave it; remove it from the list"
        )
    sites = (
        COPY_FILER_SITES
        if values["PCC_MIGRATION_API"] == MigrationApi.COPY_FILER and not zones
        else frozenset()
    )
    return ZonePolicy(source_zone=source, allowed_zones=zones, allowed_sites=sites)


def load(env: Mapping[str, str] | None = None, *, read_dotenv: bool = True) -> Config:
    """Read every variable; report every invalid one in a single ConfigError. The `.env` read is the
    one in the working directory, as documented (never a file found elsewhere)."""
    if env is None:
        if read_dotenv:
            from dotenv import load_dotenv

            load_dotenv(Path.cwd() / ".env", override=False)
        env = os.environ
    values, problems = read(env)
    if len(values["PCC_SOURCE_ZONE"]) > 1:
        problems.append("PCC_SOURCE_ZONE must be one zone, like sbg1a")
    policy = _policy(values, problems)
    approval_policy = read_policy(values.pop("PCC_POLICY"), values["PCC_APPROVERS"], problems)
    if problems:
        raise ConfigError(problems)
    held = {f.name for f in fields(Config)}
    return Config(
        **{attribute(name): value for name, value in values.items() if attribute(name) in held},
        ovh=OvhCredentials(
            **{attribute(name): value for name, value in values.items() if name.startswith("OVH_")}
        ),
        policy=policy,
        approval_policy=approval_policy,
    )


#: Variables with our prefixes that something other than the bot reads (the test suite).
NOT_OURS = frozenset({"PCC_MODEL_EXAMPLES"})
PREFIXES = ("PCC_", "SLACK_", "OVH_")


def unknown_variables(env: Mapping[str, str] | None = None) -> list[str]:
    """A warning for each set `PCC_`, `SLACK_` or `OVH_` variable the bot does not read (a typo is
    otherwise silently ignored), naming the closest one it reads."""
    import difflib

    known = [setting.name for setting in SETTINGS]
    found = os.environ if env is None else env
    warnings = []
    for name in sorted(found):
        if not name.startswith(PREFIXES) or name in known or name in NOT_OURS:
            continue
        closest = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {closest[0]}?" if closest else " (docs/configuration.md lists them)"
        warnings.append(f"{name} is set but pcc-bot reads no such variable: it is ignored{hint}")
    return warnings


def read_policy(path: str | None, approvers: frozenset[str], problems: list[str]) -> Policy | None:
    """The approval policy at ``path`` (PCC_POLICY), each of its problems one line in ``problems``."""
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        problems.append(f"PCC_POLICY: cannot read {path}: {why}")
        return None
    policy, found = parse_policy(text)
    found += policy.unreachable(approvers)
    problems.extend(f"PCC_POLICY {path}: {problem}" for problem in found)
    return policy


def attribute(name: str) -> str:
    """Where a setting's value is held: `PCC_POLL_SECONDS` in `poll_seconds`, `OVH_CLIENT_ID` in the
    credentials' `client_id`."""
    if name == "PCC_POLICY":
        return "approval_policy"  # `policy` is the zone policy
    lower = name.lower()
    return lower[4:] if lower.startswith(("pcc_", "ovh_")) else lower
