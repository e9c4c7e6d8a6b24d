"""The forms' values, read with the slash command's parsers (grammar.py beside this file): every
problem on the field it is about. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.adapters.slack.grammar import _name, _number, _repository, _service
from bot.domain import NOT_AN_OPTION, Field, MigrationSpec, RuleViolation, UsageError
from bot.domain.restore import RestoreSpec
from bot.support.i18n import Text, _

T = TypeVar("T")


def spec_from_fields(picked: dict[Field, str]) -> MigrationSpec:
    """The form's five values, checked with the slash command's parsers; every problem on its field."""
    problems: list[tuple[Field, str | Text]] = []
    pick = _("Pick one from the list")
    source = _take(problems, picked, (Field.SOURCE, "sourceService"), _service, pick)
    source_dc = _take(problems, picked, (Field.SOURCE_DATACENTER, "sourceDatacenterId"), _number, pick)
    filer = _take(problems, picked, (Field.FILER, "filerId"), _number, pick)
    dest = _take(problems, picked, (Field.DESTINATION, "destService"), _service, pick)
    dest_dc = _take(problems, picked, (Field.DESTINATION_DATACENTER, "destDatacenterId"), _number, pick)
    if source is None or source_dc is None or filer is None or dest is None or dest_dc is None:
        raise RuleViolation(problems)
    return MigrationSpec(source, source_dc, filer, dest, dest_dc)


def restore_from_fields(typed: dict[Field, str]) -> RestoreSpec:
    """The restore form's values, checked with the slash command's parsers; every problem on its field
    (the form lays the restore's words on the request's fields: target PCC and datacenter, repository;
    the job on the source datacenter's)."""
    problems: list[tuple[Field, str | Text]] = []
    value = {f: v.strip() for f, v in typed.items() if v.strip()}
    fill = _("Fill this in")
    service = _take(problems, value, (Field.DESTINATION, "service"), _service, fill)
    datacenter = _take(problems, value, (Field.DESTINATION_DATACENTER, "datacenterId"), _number, fill)
    repository = _take(problems, value, (Field.FILER, "repositoryName"), _repository, fill)
    job = _take(problems, value, (Field.SOURCE_DATACENTER, "backupJobName"), _name, None)
    if service is None or datacenter is None or repository is None or problems:
        raise RuleViolation(problems)
    return RestoreSpec(service, datacenter, repository[1], job, repository[0])


def _take(
    problems: list[tuple[Field, str | Text]],
    picked: dict[Field, str],
    asked: tuple[Field, str],
    parse: Callable[[str, str, str], T],
    missing: Text | None,
) -> T | None:
    """A form's value for ``asked`` (its field, and its name in the command) through the command's
    parser; a problem on its field if any, and ``missing`` when it is needed and not given."""
    field, name = asked
    raw = picked.get(field)
    if raw is None or raw == NOT_AN_OPTION:  # nothing picked, or a list's "loading" option
        if missing is not None:
            problems.append((field, missing))
        return None
    try:
        return parse("help", name, raw)
    except UsageError as error:  # the problem without the command's usage (the form is the usage)
        said = error.text.params.get("problem") if error.text is not None else None
        problems.append((field, said if isinstance(said, str | Text) else str(error).split(". Usage")[0]))
        return None
