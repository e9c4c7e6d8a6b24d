"""Configuration: read once, from the environment (and a `.env` file), into a frozen object."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.adapters.ovh.client import OvhCredentials
from bot.adapters.ovh.routes import MIGRATION_ROUTES
from bot.domain import PccBotError, ZonePolicy

_APPROVER = re.compile(r"[UWS][A-Z0-9]{2,}")
_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,}")


class ConfigError(PccBotError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("configuration problems:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Config:
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    ovh: OvhCredentials = field(default_factory=lambda: OvhCredentials(endpoint="ovh-eu"))
    db_path: str = "./pcc-bot.db"
    approvers: frozenset[str] = frozenset()
    #: Who may see requests and the inventory (users and user groups; empty: anyone).
    readers: frozenset[str] = frozenset()
    incident_channel: str | None = None
    poll_seconds: int = 60
    policy: ZonePolicy = field(default_factory=ZonePolicy)
    migration_api: str = "linkFilerFromSbg"
    approval_ttl: timedelta = timedelta(seconds=86400)
    log_level: str = "INFO"
    log_format: str = "text"
    read_only: bool = False
    ovh_rate: int = 60
    #: Seconds inventory facts (zones, options, datacenters, datastore lists) are reused.
    inventory_ttl: int = 120
    stall_seconds: int = 10800
    allowed_channels: frozenset[str] = frozenset()
    #: HTTP mode: where /readyz and /metrics listen, apart from Slack's public traffic ("host:port").
    ops_bind: str = "127.0.0.1:9102"
    #: When set, /readyz and /metrics want `Authorization: Bearer <token>`.
    ops_token: str | None = None

    def __repr__(self) -> str:  # never print secrets
        return f"Config(db_path={self.db_path!r}, ovh_endpoint={self.ovh.endpoint!r}, ...)"

    def require_for_serve(self, http: bool) -> None:
        problems = []
        if not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN is required (the xoxb- bot token)")
        elif not self.slack_bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if http and not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is required with --http")
        if not http and not self.slack_app_token:
            problems.append("SLACK_APP_TOKEN (xapp-) is required for Socket Mode; or use --http")
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


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


_BIND = re.compile(r"[A-Za-z0-9.\-]+:[0-9]{1,5}|\[[0-9a-fA-F:]+\]:[0-9]{1,5}")


def split_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


def load(env: Mapping[str, str] | None = None, *, read_dotenv: bool = True) -> Config:
    """Read every variable; report every invalid one in a single ConfigError."""
    if env is None:
        if read_dotenv:
            from dotenv import load_dotenv

            load_dotenv(override=False)
        env = os.environ
    problems: list[str] = []

    def number(name: str, default: int, minimum: int) -> int:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        if not raw.isdigit() or int(raw) < minimum:
            problems.append(f"{name} must be a whole number ≥ {minimum}, got {raw!r}")
            return default
        return int(raw)

    def people(name: str) -> frozenset[str]:
        listed = _split(env.get(name, ""))
        problems.extend(
            f"{name}: {p!r} is not a user id (U…/W…) or user group id (S…)"
            for p in listed
            if not _APPROVER.fullmatch(p)
        )
        return frozenset(listed)

    approvers, readers = people("PCC_APPROVERS"), people("PCC_READERS")
    incident = env.get("PCC_INCIDENT_CHANNEL", "").strip() or None
    if incident and not _CHANNEL.fullmatch(incident):
        problems.append(f"PCC_INCIDENT_CHANNEL must be a channel id like C0123ABC, got {incident!r}")
    route = env.get("PCC_MIGRATION_API", "").strip() or "linkFilerFromSbg"
    if route not in MIGRATION_ROUTES:
        problems.append(f"PCC_MIGRATION_API must be one of {', '.join(MIGRATION_ROUTES)}, got {route!r}")
    endpoint = env.get("OVH_ENDPOINT", "").strip() or "ovh-eu"
    if endpoint.startswith(("http://", "https://")) and not endpoint.rstrip("/").endswith("/1.0"):
        problems.append(f"OVH_ENDPOINT URL must end in /1.0, got {endpoint!r}")
    read_only_raw = env.get("PCC_READ_ONLY", "").strip().lower()
    if read_only_raw not in ("", "0", "1", "true", "false", "yes", "no"):
        problems.append(f"PCC_READ_ONLY must be 1 or 0, got {read_only_raw!r}")
    channels = _split(env.get("PCC_ALLOWED_CHANNELS", ""))
    for channel in channels:
        if not _CHANNEL.fullmatch(channel):
            problems.append(f"PCC_ALLOWED_CHANNELS: {channel!r} is not a channel id like C0123ABC")
    ops_bind = env.get("PCC_OPS_BIND", "").strip() or "127.0.0.1:9102"
    if not _BIND.fullmatch(ops_bind):
        problems.append(f"PCC_OPS_BIND must be host:port like 127.0.0.1:9102, got {ops_bind!r}")
    log_format = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in ("text", "json"):
        problems.append(f"LOG_FORMAT must be text or json, got {log_format!r}")
    config = Config(
        slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
        slack_app_token=env.get("SLACK_APP_TOKEN") or None,
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        slack_api_url=env.get("SLACK_API_URL", "").strip() or "https://slack.com/api/",
        ovh=OvhCredentials(
            endpoint=endpoint,
            application_key=env.get("OVH_APPLICATION_KEY") or None,
            application_secret=env.get("OVH_APPLICATION_SECRET") or None,
            consumer_key=env.get("OVH_CONSUMER_KEY") or None,
            client_id=env.get("OVH_CLIENT_ID") or None,
            client_secret=env.get("OVH_CLIENT_SECRET") or None,
        ),
        db_path=env.get("PCC_DB_PATH", "").strip() or "./pcc-bot.db",
        approvers=approvers,
        readers=readers,
        incident_channel=incident,
        poll_seconds=number("PCC_POLL_SECONDS", 60, 1),
        policy=ZonePolicy(
            source_zone=env.get("PCC_SOURCE_ZONE", "").strip() or "sbg1a",
            allowed_zones=frozenset(_split(env.get("PCC_ALLOWED_ZONES", ""))),
        ),
        migration_api=route,
        approval_ttl=timedelta(seconds=number("PCC_APPROVAL_TTL", 86400, 60)),
        log_level=(env.get("LOG_LEVEL", "").strip() or "INFO").upper(),
        log_format=log_format,
        read_only=read_only_raw in ("1", "true", "yes"),
        ovh_rate=number("PCC_OVH_RATE", 60, 1),
        inventory_ttl=number("PCC_INVENTORY_TTL", 120, 0),
        stall_seconds=number("PCC_STALL_SECONDS", 10800, 60),
        allowed_channels=frozenset(channels),
        ops_bind=ops_bind,
        ops_token=env.get("PCC_OPS_TOKEN") or None,
    )
    if problems:
        raise ConfigError(problems)
    return config
