"""`pcc-bot doctor` (what is missing, line by line) and `pcc-bot credentials` (a consumer key request)."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import IO, Any

import ovh.exceptions
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.adapters.ovh import description
from bot.adapters.ovh.client import make_client
from bot.adapters.ovh.routes import access_rules, routes_for
from bot.adapters.slack import ids
from bot.adapters.sql.clock import MAX_SKEW_SECONDS as MAX_DATABASE_SKEW_SECONDS
from bot.adapters.sql.inspection import database_time, inspect_database
from bot.domain import PccBotError
from bot.ops.config import Config, ConfigError
from bot.support.version import version

OK, WARN, FAIL = "ok", "warn", "FAIL"
MAX_SKEW_SECONDS = 30


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str
    detail: str


def _slack_checks(config: Config) -> list[Check]:
    if not config.slack_bot_token:
        return [Check("Slack token", FAIL, "SLACK_BOT_TOKEN is not set")]
    client = WebClient(token=config.slack_bot_token, base_url=config.slack_api_url, timeout=10)
    try:
        auth = client.auth_test()
    except SlackApiError as error:
        return [Check("Slack auth.test", FAIL, _slack_refusal("SLACK_BOT_TOKEN", error))]
    except (SlackClientError, OSError) as error:
        return [
            Check("Slack auth.test", FAIL, f"cannot reach {config.slack_api_url}: {error}".splitlines()[0])
        ]
    checks = [Check("Slack auth.test", OK, f"bot {auth.get('user')} in team {auth.get('team_id')}")]
    granted = {s.strip() for s in str(auth.headers.get("x-oauth-scopes", "")).split(",") if s.strip()}
    missing = sorted(ids.SLACK_SCOPES - granted)
    checks.append(
        Check(
            "Slack scopes",
            FAIL if missing else OK,
            f"missing {', '.join(missing)}: reinstall the app from manifest.yml"
            if missing
            else "all granted",
        )
    )
    checks += [_mode_check(config), *_approver_checks(client, config)]
    channel = config.incident_channel
    if channel:
        checks.append(
            _call_check(f"Incident channel {channel}", partial(client.conversations_info, channel=channel))
        )
    else:
        checks.append(Check("Incident channel", WARN, "PCC_INCIDENT_CHANNEL unset: no incident-room notices"))
    return checks


def _slack_refusal(variable: str, error: SlackApiError) -> str:
    code = error.response.get("error") if error.response is not None else "unknown"
    return f"Slack refused {variable}: {code} (a revoked or mistyped token, or another app's)"


def _mode_check(config: Config) -> Check:
    """Which way Slack reaches the bot, and whether its token works."""
    if config.slack_app_token:
        client = WebClient(base_url=config.slack_api_url, timeout=10)
        try:
            client.apps_connections_open(app_token=config.slack_app_token)
        except SlackApiError as error:
            return Check("Slack mode", FAIL, "Socket Mode: " + _slack_refusal("SLACK_APP_TOKEN", error))
        except (SlackClientError, OSError) as error:
            return Check("Slack mode", FAIL, f"Socket Mode: cannot reach Slack: {error}".splitlines()[0])
        return Check("Slack mode", OK, "Socket Mode (SLACK_APP_TOKEN accepted)")
    if config.slack_signing_secret:
        return Check("Slack mode", OK, "HTTP (`pcc-bot serve --http`, SLACK_SIGNING_SECRET set)")
    return Check(
        "Slack mode",
        FAIL,
        "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode, `pcc-bot serve --http`)",
    )


def _call_check(name: str, call: Callable[[], Any]) -> Check:
    try:
        call()
    except SlackApiError as error:
        return Check(name, FAIL, f"Slack answered {error.response.get('error')}")
    except (SlackClientError, OSError) as error:
        return Check(name, FAIL, str(error))
    return Check(name, OK, "found")


def _approver_checks(client: WebClient, config: Config) -> list[Check]:
    if not config.approvers:  # the Configuration line says it
        return []
    checks = []
    for approver in sorted(config.approvers):
        if approver.startswith("S"):
            lookup = partial(client.usergroups_users_list, usergroup=approver)
            checks.append(_call_check(f"Approver group {approver}", lookup))
        else:
            checks.append(_call_check(f"Approver {approver}", partial(client.users_info, user=approver)))
    return checks


def _ovh_checks(config: Config, credentials_set: bool) -> list[Check]:
    """Reachable, the clock, the API description (none of which needs credentials), then the rights."""
    try:
        server_time = description.public_get(config.ovh.endpoint, "/auth/time")
    except PccBotError as error:
        return [Check("OVHcloud reachable", FAIL, str(error))]
    skew = int(server_time) - int(time.time())
    checks = [
        Check("OVHcloud reachable", OK, config.ovh.endpoint),
        Check(
            "Clock skew",
            OK if abs(skew) <= MAX_SKEW_SECONDS else WARN,
            f"{skew:+d} s against /auth/time"
            + ("" if abs(skew) <= MAX_SKEW_SECONDS else ": signed calls resync, but fix NTP"),
        ),
        *_route_checks(config),
    ]
    if not credentials_set:  # the Configuration line says which variables to set
        return checks
    try:
        client = make_client(config.ovh)
    except PccBotError as error:
        return [*checks, Check("OVHcloud credentials", FAIL, str(error))]
    return [*checks, *_rights_checks(client, config)]


def _route_checks(config: Config) -> list[Check]:
    """Each route pcc-bot calls, in OVHcloud's published API description: present or absent (the copy
    routes were published in March 2021 and may be withdrawn)."""
    needed = routes_for(config.migration_api)
    try:
        found = description.states(description.read(config.ovh.endpoint), needed)
    except PccBotError as error:
        return [
            Check("API description", WARN, f"could not read {error}: whether the routes exist is unknown")
        ]
    checks = []
    for state in found:
        iam = f" (IAM: {', '.join(state.iam_actions)})" if state.iam_actions else ""
        absent = state.state == description.ABSENT
        detail = f"{state.state}: {state.route}" + (
            " (OVHcloud's API description no longer lists it)" if absent else iam
        )
        checks.append(Check("Route", FAIL if absent else OK, detail))
    return checks


def _rights_checks(client: Any, config: Config) -> list[Check]:
    checks: list[Check] = []
    try:
        details = client.get("/auth/details")
    except ovh.exceptions.HTTPError as error:
        return [
            Check("OVHcloud credentials", FAIL, f"{config.ovh.endpoint}: {description.unreachable(error)}")
        ]
    except ovh.exceptions.APIError as error:
        query_id = getattr(error, "query_id", None)
        return [Check("OVHcloud credentials", FAIL, f"{error.args[0]} (OVH query id {query_id})")]
    rules = details.get("allowedRoutes")
    if rules is None:
        checks.append(Check("OVHcloud rights", WARN, "no route list (OAuth2/IAM): check the IAM policy"))
        return checks
    uncovered = [
        f"{route.method} {route.template} ({route.purpose})"
        for route in routes_for(config.migration_api)
        if not any(
            r.get("method") == route.method and fnmatch.fnmatchcase(route.rule, r.get("path", ""))
            for r in rules
        )
    ]
    checks.append(_destinations_check(client, config))
    checks.append(
        Check(
            "OVHcloud rights",
            FAIL if uncovered else OK,
            f"not allowed: {'; '.join(uncovered)} (run `pcc-bot credentials`)"
            if uncovered
            else f"account {details.get('account')}: every route pcc-bot calls is allowed",
        )
    )
    return checks


def _destinations_check(client: Any, config: Config) -> Check:
    """Approvals are possible only if the account has a PCC in the source zone and one where copies may
    go (PCC_ALLOWED_ZONES, or copyFiler's sites)."""
    policy = config.policy
    try:
        names = client.get("/dedicatedCloud")
        zones = {str(client.get(f"/dedicatedCloud/{name}").get("location")) for name in names[:50]}
    except ovh.exceptions.APIError as error:
        return Check("Zones", WARN, f"the account's PCCs could not be read: {error.args[0]}")
    destinations = sorted(z for z in zones if policy.allows_destination(z))
    if policy.source_zone not in zones:
        return Check("Zones", WARN, f"no PCC of this account is in {policy.source_zone} (PCC_SOURCE_ZONE)")
    if not destinations:
        return Check(
            "Zones",
            FAIL,
            f"no PCC of this account is in a zone copies may go to ({', '.join(sorted(zones))} seen): "
            "nothing could ever be approved; check PCC_ALLOWED_ZONES",
        )
    return Check("Zones", OK, f"sources in {policy.source_zone}; destinations in {', '.join(destinations)}")


def _database_checks(config: Config) -> list[Check]:
    """The database (read only), and on a shared one this host's clock against the database's (the
    clock every replica follows)."""
    found = _database_check(config)
    if config.shared_database and found.verdict == OK and "does not exist" not in found.detail:
        return [found, database_clock_check(partial(database_time, config.database))]
    return [found]


def database_clock_check(
    read_database_time: Callable[[], float], host_time: Callable[[], float] = time.time
) -> Check:
    """This host's clock against the database's: a warning past MAX_DATABASE_SKEW_SECONDS."""
    before = host_time()
    try:
        database = read_database_time()
    except PccBotError as error:
        return Check("Database clock", WARN, f"the database's clock could not be read: {error}")
    skew = (before + host_time()) / 2 - database
    off = abs(skew) > MAX_DATABASE_SKEW_SECONDS
    detail = f"this host is {skew:+.1f} s off the database's clock"
    if off:
        detail += (
            f" (over {MAX_DATABASE_SKEW_SECONDS:.0f} s): pcc-bot follows the database's, but fix NTP here"
        )
    return Check("Database clock", WARN if off else OK, detail)


def _database_check(config: Config) -> Check:
    """Reachable, which server, and at which schema revision; read only (`serve` creates and migrates)."""
    shown = config.database_shown
    try:
        found = inspect_database(config.database)
    except PccBotError as error:
        return Check("Database", FAIL, f"{shown}: {error}" if shown not in str(error) else str(error))
    if not found.server:
        return Check("Database", OK, f"{shown} does not exist yet: `pcc-bot serve` creates it")
    replicas = "; replicas may share it" if config.shared_database else ""
    schema = (
        f"schema at revision {found.revision}"
        if found.current
        else f"schema at revision {found.revision or 'none'}: `pcc-bot serve` upgrades it to {found.head}"
    )
    return Check("Database", OK, f"{shown}: {found.server}, {schema}{replicas}")


def _policy_check(config: Config) -> Check:
    """A policy file with problems stops the start (and doctor) before this: here, what is in force."""
    policy = config.approval_policy
    if policy is None:
        return Check(
            "Approval policy", OK, "none (PCC_POLICY unset): any one listed approver who is not the requester"
        )
    rules = "; ".join(f"{r.name}: {r.approvals} approval(s)" for r in policy.rules)
    return Check("Approval policy", OK, f"{len(policy.rules)} rule(s), checked: {rules}")


def run_checks(config: Config) -> list[Check]:
    """Every check, each cause said once: what the Configuration line names missing is not tried."""
    problems: list[str] = []
    try:
        config.require_for_serve(http=not config.slack_app_token, quiet_about_mode=True)
    except ConfigError as error:
        problems = error.problems
    slack_said = any(p.startswith("SLACK_BOT_TOKEN") for p in problems)
    ovh_said = any(p.startswith("OVHcloud credentials") for p in problems)
    return [
        *(
            [Check("Configuration", FAIL, p) for p in problems]
            or [Check("Configuration", OK, "every required variable is set")]
        ),
        _policy_check(config),
        *([] if slack_said else _slack_checks(config)),
        *_ovh_checks(config, credentials_set=not ovh_said),
        *_database_checks(config),
    ]


def render(checks: list[Check], out: IO[str]) -> int:
    """Print the table; the exit status is 1 when any line failed."""
    width = max(len(c.name) for c in checks)
    print(f"pcc-bot {version()}\n", file=out)
    for check in checks:
        print(f"{check.name:<{width}}  {check.verdict:<4}  {check.detail}", file=out)
    failed = sum(c.verdict == FAIL for c in checks)
    print(f"\n{'Ready to serve.' if not failed else f'{failed} problem(s) to fix before serving.'}", file=out)
    return 1 if failed else 0


def request_consumer_key(config: Config, out: IO[str]) -> int:
    """Ask OVHcloud for a consumer key limited to the routes pcc-bot calls; print where to validate it."""
    if not (config.ovh.application_key and config.ovh.application_secret):
        raise PccBotError(
            "set OVH_APPLICATION_KEY and OVH_APPLICATION_SECRET first (create an application "
            "on your region's /createApp/ page)"
        )
    client = make_client(replace(config.ovh, consumer_key=None, client_id=None, client_secret=None))
    request = client.new_consumer_key_request()
    for method, path in access_rules(config.migration_api):
        request.add_rule(method, path)
    try:
        answer = request.request()
    except ovh.exceptions.HTTPError as error:
        detail = error.args[1] if len(error.args) > 1 else error
        raise PccBotError(
            f"cannot reach OVHcloud at {config.ovh.endpoint}: {description.unreachable(detail)}"
        ) from error
    except ovh.exceptions.APIError as error:
        raise PccBotError(f"OVHcloud refused the consumer key request: {error}") from error
    print("Consumer key requested, limited to:", file=out)
    for method, path in access_rules(config.migration_api):
        print(f"  {method} {path}", file=out)
    print(f"\n1. Open {answer['validationUrl']} and log in with the account that owns the PCCs.", file=out)
    print(f"2. Then set OVH_CONSUMER_KEY={answer['consumerKey']} (environment or .env).", file=out)
    print("3. Run `pcc-bot doctor` to check it.", file=out)
    return 0


def doctor(config: Config, out: IO[str]) -> int:
    return render(run_checks(config), out)
