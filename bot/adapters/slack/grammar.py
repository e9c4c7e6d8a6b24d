"""Parsing `/pcc` command text into plain values. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.adapters.slack import refusals
from bot.adapters.slack.switches import PauseBot, ResumeBot
from bot.domain import MigrationSpec, UsageError
from bot.domain.restore import RestoreSpec
from bot.support.i18n import Text, _

MAX_TEXT = 500
# OVHcloud service names: pcc-192-0-2-15, or older style names with dots.
_SERVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_ID = re.compile(r"[0-9]{1,18}")
# Veeam repository and job names: one word, nothing Slack's mrkdwn or a JSON body would mangle.
_NAME = re.compile(r"[A-Za-z0-9][^\s`*<>&|\\\"/]{0,99}")


@dataclass(frozen=True)
class Help:
    """`/pcc help` (or an empty `/pcc`)."""


@dataclass(frozen=True)
class ListFilers:
    """`/pcc filers`: a PCC's datastores, a page at a time or as a CSV file."""

    service: str
    datacenter_id: int | None
    page: int = 1
    as_csv: bool = False  # the whole list as a file


@dataclass(frozen=True)
class Migrate:
    """`/pcc migrate` with the five ids."""

    spec: MigrationSpec


@dataclass(frozen=True)
class FilePlan:
    """`/pcc plan`: every datastore of a source datacenter (or the ones listed) under one decision."""

    source_service: str
    source_datacenter_id: int
    dest_service: str
    dest_datacenter_id: int
    filer_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class OpenMigrateForm:
    """`/pcc migrate` with no argument: a form with lists to pick from."""


@dataclass(frozen=True)
class ListRequests:
    """`/pcc list`: the recent requests."""


@dataclass(frozen=True)
class AboutRequest:
    """A command about one request, by its number."""

    request_id: int


class Status(AboutRequest):
    """`/pcc status N`: the request's card and history."""


class Cancel(AboutRequest):
    """`/pcc cancel N`: withdraw a pending request, or close a call in doubt."""


@dataclass(frozen=True)
class WithdrawPlan:
    """`/pcc cancel plan N`: the requester (or an approver) withdraws a pending plan."""

    plan_id: int


@dataclass(frozen=True)
class Audit:
    """`/pcc audit [days]`: the decisions of the last days, as a file."""

    days: int


@dataclass(frozen=True)
class OpenRestoreForm:
    """`/pcc restore` with no argument: a form to fill."""


@dataclass(frozen=True)
class ListRepositories:
    """`/pcc repositories <service>`: the PCC's Veeam backup repositories."""

    service: str


@dataclass(frozen=True)
class Restore:
    """`/pcc restore`: every VM of a backup repository restored into a datacenter."""

    spec: RestoreSpec


@dataclass(frozen=True)
class ShowPolicy:
    """`/pcc policy [requestId]`: the approval rules in force, and the one a request falls under."""

    request_id: int | None = None


Command = (
    Help
    | ListFilers
    | Migrate
    | FilePlan
    | OpenMigrateForm
    | ListRequests
    | Status
    | Cancel
    | WithdrawPlan
    | Audit
    | ShowPolicy
    | ListRepositories
    | Restore
    | OpenRestoreForm
    | PauseBot
    | ResumeBot
)
#: The subcommands that open a form when given no argument.
FORMS: dict[str, type[OpenMigrateForm | OpenRestoreForm]] = {
    "migrate": OpenMigrateForm,
    "restore": OpenRestoreForm,
}
#: Datastores a plan may list by id (a whole datacenter: list none).
PLAN_MAX_LISTED = 100
AUDIT_DEFAULT_DAYS = 30
AUDIT_MAX_DAYS = 3650

USAGE = {
    "filers": "filers <service> [<datacenterId>] [page <n> | csv]",
    "migrate": "migrate [<sourceService> <sourceDatacenterId> <filerId> <destService> <destDatacenterId>]",
    "plan": "plan <sourceService> <sourceDatacenterId> <destService> <destDatacenterId> [<filerId> …]",
    "list": "list",
    "status": "status <requestId>",
    "cancel": "cancel [plan] <id>",
    "audit": "audit [days]",
    "pause": "pause [reason]",
    "resume": "resume",
    "policy": "policy [requestId]",
    "repositories": "repositories <service>",
    "restore": "restore <service> <datacenterId> [<repositoryService>/]<repositoryName> [<backupJobName>]",
    "help": "help",
}


def _usage(sub: str, problem: Text) -> UsageError:
    return refusals.with_usage(USAGE[sub], problem)


def _service(sub: str, name: str, value: str) -> str:
    """A PCC service name; OVHcloud's are lower case and it matches them regardless of case."""
    if not _SERVICE.fullmatch(value):
        raise _usage(sub, refusals.not_a_service(name, value))
    return value.lower()


def _number(sub: str, name: str, value: str) -> int:
    if value.isdigit() and len(value) > 18:
        raise _usage(sub, refusals.too_long_an_id(name, value))
    if not _ID.fullmatch(value):
        raise _usage(sub, refusals.not_a_number(name, value))
    return int(value)


def parse(text: str) -> Command:
    """Turn the text after `/pcc` into a Command, or raise UsageError naming the problem."""
    if len(text) > MAX_TEXT:
        raise refusals.too_long(len(text), MAX_TEXT)
    words = text.split()
    if not words:
        return Help()
    sub, args = words[0].lower(), words[1:]
    if sub not in USAGE:
        raise refusals.unknown(words[0], ", ".join(USAGE))
    low, high, parsed = _SUBCOMMANDS[sub]
    if sub in FORMS and not args:
        return FORMS[sub]()
    if not low <= len(args) <= high:
        raise _usage(sub, refusals.arity(sub, low, high, len(args), opens_a_form=sub in FORMS))
    return parsed(args)


def _migrate(args: list[str]) -> Migrate:
    sub = "migrate"
    return Migrate(
        MigrationSpec(
            source_service=_service(sub, "sourceService", args[0]),
            source_datacenter_id=_number(sub, "sourceDatacenterId", args[1]),
            filer_id=_number(sub, "filerId", args[2]),
            dest_service=_service(sub, "destService", args[3]),
            dest_datacenter_id=_number(sub, "destDatacenterId", args[4]),
        )
    )


def _plan(args: list[str]) -> FilePlan:
    sub = "plan"
    return FilePlan(
        _service(sub, "sourceService", args[0]),
        _number(sub, "sourceDatacenterId", args[1]),
        _service(sub, "destService", args[2]),
        _number(sub, "destDatacenterId", args[3]),
        tuple(_number(sub, "filerId", a) for a in args[4:]),
    )


def _request_id(sub: str, value: str) -> int:
    return _number(sub, "requestId", value.lstrip("#"))


#: Each subcommand: its least and most arguments, and its parser (the arguments counted already).
_SUBCOMMANDS: dict[str, tuple[int, int, Callable[[list[str]], Command]]] = {
    "filers": (1, 4, lambda args: _filers(args)),
    "migrate": (5, 5, lambda args: _migrate(args)),
    "plan": (4, 4 + PLAN_MAX_LISTED, lambda args: _plan(args)),
    "list": (0, 0, lambda args: ListRequests()),
    "status": (1, 1, lambda args: Status(_request_id("status", args[0]))),
    "cancel": (1, 2, lambda args: _cancel(args)),
    "audit": (0, 1, lambda args: _audit(args)),
    "pause": (0, 100, lambda args: PauseBot(" ".join(args))),
    "resume": (0, 0, lambda args: ResumeBot()),
    "policy": (0, 1, lambda args: ShowPolicy(_request_id("policy", args[0]) if args else None)),
    "repositories": (1, 1, lambda args: ListRepositories(_service("repositories", "service", args[0]))),
    "restore": (3, 4, lambda args: Restore(_restore(args))),
    "help": (0, 0, lambda args: Help()),
}


def _cancel(args: list[str]) -> Cancel | WithdrawPlan:
    """`cancel <requestId>`, or `cancel plan <planId>`."""
    match args:
        case [request]:
            return Cancel(_request_id("cancel", request))
        case [word, plan] if word.lower() == "plan":
            return WithdrawPlan(_number("cancel", "planId", plan.lstrip("#")))
    raise _usage("cancel", _("two words are `plan` and a plan's number"))


def _audit(args: list[str]) -> Audit:
    days = _number("audit", "days", args[0]) if args else AUDIT_DEFAULT_DAYS
    if not 1 <= days <= AUDIT_MAX_DAYS:
        raise _usage(
            "audit", _("days must be between 1 and {most}, got {days}", most=AUDIT_MAX_DAYS, days=days)
        )
    return Audit(days)


def _name(sub: str, name: str, value: str) -> str:
    if not _NAME.fullmatch(value):
        raise _usage(sub, refusals.not_a_veeam_name(name, value))
    return value


def _repository(sub: str, name: str, value: str) -> tuple[str | None, str]:
    """``[<repositoryService>/]<repositoryName>``: the repository's PCC (None: the target's) and name."""
    service, _, repository = value.rpartition("/")
    return (_service(sub, "repositoryService", service) if service else None), _name(sub, name, repository)


def _restore(args: list[str]) -> RestoreSpec:
    """`restore <service> <datacenterId> [<repositoryService>/]<repositoryName> [<backupJobName>]`."""
    repository_service, repository = _repository("restore", "repositoryName", args[2])
    return RestoreSpec(
        service=_service("restore", "service", args[0]),
        datacenter_id=_number("restore", "datacenterId", args[1]),
        repository_name=repository,
        backup_job_name=_name("restore", "backupJobName", args[3]) if len(args) > 3 else None,
        repository_service=repository_service,
    )


def _filers(args: list[str]) -> ListFilers:
    """`filers <service> [<datacenterId>] [page <n> | csv]`."""
    service, rest = _service("filers", "service", args[0]), args[1:]
    datacenter = _number("filers", "datacenterId", rest.pop(0)) if rest and rest[0].isdigit() else None
    match [word.lower() for word in rest]:
        case []:
            return ListFilers(service, datacenter)
        case ["csv"]:
            return ListFilers(service, datacenter, as_csv=True)
        case ["page", number]:
            page = _number("filers", "page", number)
            if page < 1:
                raise _usage("filers", _("pages start at 1"))
            return ListFilers(service, datacenter, page=page)
    raise _usage("filers", _("{words} is not `page <n>` or `csv`", words=refusals.show(" ".join(rest))))


_SLACK_ID = re.compile(r"[A-Z0-9]{2,20}")


def _slack_id(body: dict[str, Any], flat: str, nested: str, what: Text) -> str:
    """``body[flat]`` (slash commands) or ``body[nested]["id"]`` (interactions), checked."""
    value = body.get(flat)
    container = body.get(nested)
    if value is None and isinstance(container, dict):
        value = container.get("id")
    if not isinstance(value, str) or not _SLACK_ID.fullmatch(value):
        raise refusals.refused(_("this request carries no valid Slack {what} id", what=what))
    return value


def parse_trigger(body: dict[str, Any]) -> str:
    """The trigger id that lets the bot open a form (valid 3 seconds)."""
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        raise refusals.refused(
            _("this request carries no trigger id, so no form can be opened; give the 5 arguments")
        )
    return trigger


def parse_user(body: dict[str, Any]) -> str:
    return _slack_id(body, "user_id", "user", _("user"))


def parse_channel(body: dict[str, Any]) -> str:
    return _slack_id(body, "channel_id", "channel", _("channel"))
