"""Every environment variable pcc-bot reads, once: its name, default, parser and meaning. The
configuration (config.py beside this file), the checks at start-up and the configuration reference
(docs/configuration.md, held to this table by a test) all come from here."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.domain import MigrationApi
from bot.support.i18n import LOCALES

_IDS = re.compile(r"[UWS][A-Z0-9]{2,}")
_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,}")
_BIND = re.compile(r"[A-Za-z0-9.\-]+:[0-9]{1,5}|\[[0-9a-fA-F:]+\]:[0-9]{1,5}")
_ZONE = re.compile(r"[a-z]{3}[0-9]?[a-z0-9]*")
OVH_ENDPOINTS = ("ovh-eu", "ovh-ca", "ovh-us")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIGRATION_APIS = tuple(api.value for api in MigrationApi)


class Invalid(ValueError):
    """A value that does not parse; its message says what was expected (and, ``quotes_value``, what
    was found)."""

    def __init__(self, message: str, *, quotes_value: bool = False) -> None:
        super().__init__(message)
        self.quotes_value = quotes_value


def text(value: str) -> str:
    return value


def optional(value: str) -> str | None:
    return value or None


def prefixed(prefix: str, what: str) -> Callable[[str], str | None]:
    def parse(value: str) -> str | None:
        if value and not value.startswith(prefix):
            raise Invalid(f"must be {what} starting with {prefix}")
        return value or None

    return parse


#: The most digits a number setting may have: no setting needs more, and none overflows a date.
_DIGITS = 12


def number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A whole number in ASCII digits (``²`` or ``١٢`` are not read as numbers), within bounds."""

    def parse(value: str) -> int:
        whole = value.isascii() and value.isdigit() and len(value) <= _DIGITS
        if not whole or int(value) < minimum or (maximum is not None and int(value) > maximum):
            upper = f" and ≤ {maximum}" if maximum is not None else ""
            raise Invalid(f"must be a whole number ≥ {minimum}{upper}")
        return int(value)

    return parse


#: Upper bounds of the settings counted in seconds: the longest any of them is meaningful, and far
#: below what a date can hold (a pending request expiring in a million years overflowed, issue 24).
HOUR, DAY = 3600, 86400


def seconds(minimum: int, maximum: int) -> Callable[[str], timedelta]:
    whole = number(minimum, maximum)
    return lambda value: timedelta(seconds=whole(value))


def switch(value: str) -> bool:
    if value.lower() not in ("0", "1", "true", "false", "yes", "no"):
        raise Invalid("must be 1 or 0")
    return value.lower() in ("1", "true", "yes")


def choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        found = next((a for a in allowed if a.lower() == value.lower()), None)
        if found is None:
            raise Invalid(f"must be one of {', '.join(allowed)}")
        return found

    return parse


def matching(pattern: re.Pattern[str], what: str) -> Callable[[str], frozenset[str]]:
    """A comma list, each item matching ``pattern``."""

    def parse(value: str) -> frozenset[str]:
        items = [item.strip() for item in value.split(",") if item.strip()]
        wrong = [item for item in items if not pattern.fullmatch(item)]
        if wrong:
            raise Invalid(f"{', '.join(repr(w) for w in wrong)} is not {what}", quotes_value=True)
        return frozenset(items)

    return parse


def channel(value: str) -> str | None:
    if value and not _CHANNEL.fullmatch(value):
        raise Invalid("must be a channel id like C0123ABC")
    return value or None


def endpoint(value: str) -> str:
    if value in OVH_ENDPOINTS:
        return value
    if value.startswith(("http://", "https://")) and value.rstrip("/").endswith("/1.0"):
        return value
    raise Invalid(f"must be {', '.join(OVH_ENDPOINTS)}, or an http(s) URL ending in /1.0")


def url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise Invalid("must be an http(s) URL")
    return value if value.endswith("/") else value + "/"


def bind(value: str) -> str:
    if not _BIND.fullmatch(value) or not 0 <= int(value.rpartition(":")[2]) <= 65535:
        raise Invalid("must be host:port like 127.0.0.1:9102")
    return value


def database_url(value: str) -> str | None:
    if value and not value.startswith(("postgresql://", "postgres://")):
        raise Invalid("must be a PostgreSQL URL like postgresql://user:password@host:5432/pcc")
    return value or None


def log_level(value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS or not isinstance(logging.getLevelName(level), int):
        raise Invalid(f"must be one of {', '.join(LOG_LEVELS)}")
    return level


@dataclass(frozen=True)
class Setting:
    """One variable. The configuration holds its value under the name in lower case without `PCC_`
    (`PCC_POLL_SECONDS`: `poll_seconds`); `OVH_…` ones make the credentials (`OVH_CLIENT_ID`:
    `client_id`), and the zones the zone policy."""

    name: str
    default: str  # as it would be written in the environment ("" for unset)
    parse: Callable[[str], Any]
    doc: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SLACK_BOT_TOKEN",
        "",
        prefixed("xoxb-", "a bot token"),
        "the `xoxb-` bot token; required to serve",
        True,
    ),
    Setting(
        "SLACK_APP_TOKEN",
        "",
        prefixed("xapp-", "an app-level token"),
        "the `xapp-` app-level token (`connections:write`): serve in Socket Mode",
        True,
    ),
    Setting("SLACK_SIGNING_SECRET", "", optional, "request signing secret: serve over HTTP", True),
    Setting("SLACK_API_URL", "https://slack.com/api/", url, "Slack Web API base URL"),
    Setting(
        "OVH_ENDPOINT", "ovh-eu", endpoint, "`ovh-eu`, `ovh-ca`, `ovh-us`, or an http(s) URL ending in `/1.0`"
    ),
    Setting("OVH_APPLICATION_KEY", "", optional, "signed-request credentials: application key"),
    Setting("OVH_APPLICATION_SECRET", "", optional, "signed-request credentials: application secret", True),
    Setting("OVH_CONSUMER_KEY", "", optional, "signed-request credentials: consumer key", True),
    Setting("OVH_CLIENT_ID", "", optional, "OAuth2 service account instead (ovh-eu/ca/us only): client id"),
    Setting("OVH_CLIENT_SECRET", "", optional, "OAuth2 service account: client secret", True),
    Setting("PCC_DB_PATH", "./pcc-bot.db", text, "the SQLite file (the embedded default)"),
    Setting(
        "PCC_DATABASE_URL",
        "",
        database_url,
        "`postgresql://…`: PostgreSQL instead of SQLite, for several replicas (`pcc-bot[postgres]`)",
        True,
    ),
    Setting(
        "PCC_APPROVERS",
        "",
        matching(_IDS, "a user id (U…/W…) or user group id (S…)"),
        "comma list of Slack user ids (`U…`/`W…`) and user group ids (`S…`); required to serve",
    ),
    Setting(
        "PCC_READERS",
        "",
        matching(_IDS, "a user id (U…/W…) or user group id (S…)"),
        "who may see requests, plans, the inventory and the migrate form's lists besides the approvers "
        "(users and groups); empty: anyone",
    ),
    Setting("PCC_INCIDENT_CHANNEL", "", channel, "channel id of the incident room; empty: none"),
    Setting("PCC_POLL_SECONDS", "60", number(1, HOUR), "task polling period in seconds (at most 3600)"),
    Setting("PCC_SOURCE_ZONE", "sbg1a", matching(_ZONE, "a zone like sbg1a"), "the zone sources must be in"),
    Setting(
        "PCC_ALLOWED_ZONES",
        "",
        matching(_ZONE, "a zone like rbx2a"),
        "comma list of destination zones; empty: any but the source zone (copyFiler: RBX, LIM or ERI)",
    ),
    Setting(
        "PCC_MIGRATION_API",
        MigrationApi.LINK_FILER.value,
        choice(*MIGRATION_APIS),
        "the copy route filed requests use",
    ),
    Setting(
        "PCC_APPROVAL_TTL",
        "86400",
        seconds(60, 30 * DAY),
        "seconds a pending request or plan stays approvable (at most 30 days)",
    ),
    Setting(
        "PCC_STALL_SECONDS",
        "10800",
        number(60, 7 * DAY),
        "a copy not moving this long (seconds, at most 7 days) gets one stall warning",
    ),
    Setting("PCC_OVH_RATE", "60", number(1), "OVHcloud calls allowed in any 60 s, every caller together"),
    Setting(
        "PCC_INVENTORY_TTL",
        "120",
        number(0, DAY),
        "seconds inventory facts (zones, options, datastore lists) are reused (at most a day)",
    ),
    Setting(
        "PCC_ALLOWED_CHANNELS",
        "",
        matching(_CHANNEL, "a channel id like C0123ABC"),
        "comma list of channel ids where `/pcc` works; empty: any",
    ),
    Setting(
        "PCC_READ_ONLY",
        "0",
        switch,
        "`1`: start-up kill switch: filing refused, and this process paused (every mutating click and "
        "every dispatch, as `/pcc pause`) with the reason; only a restart without it resumes it",
    ),
    Setting(
        "PCC_POLICY",
        "",
        optional,
        "path of a TOML approval policy (docs/policy.md); unset: one approver from `PCC_APPROVERS`",
    ),
    Setting(
        "PCC_LOCALE",
        "en",
        choice(*LOCALES),
        "language of what a channel sees (`en`, `fr`); each person's own answers follow their Slack locale",
    ),
    Setting(
        "PORT", "3000", number(1, 65535), "the public HTTP port: `/slack/events` (HTTP mode) and `/healthz`"
    ),
    Setting("PCC_OPS_BIND", "127.0.0.1:9102", bind, "`host:port` of `/healthz`, `/readyz`, `/metrics`"),
    Setting("PCC_OPS_TOKEN", "", optional, "bearer token `/readyz` and `/metrics` want, when set", True),
    Setting("LOG_LEVEL", "INFO", log_level, f"{', '.join(LOG_LEVELS)} (DEBUG adds full tracebacks)"),
    Setting("LOG_FORMAT", "text", choice("text", "json"), "`text`, or `json` (one object per line)"),
)

BY_NAME = {s.name: s for s in SETTINGS}


def default(name: str) -> Any:
    """A setting's default, parsed: what the configuration holds when the variable is unset."""
    setting = BY_NAME[name]
    return setting.parse(setting.default)
