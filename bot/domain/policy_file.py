"""Reading an approval policy file (`PCC_POLICY`, TOML, with the standard library's `tomllib`): every
problem found, one line each naming the rule and the key, instead of stopping at the first. Pure."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from typing import Any

from bot.domain.operations import policy_names
from bot.domain.policy import (
    CERTIFICATIONS,
    MATCH_KEYS,
    Match,
    Policy,
    Reason,
    Rule,
    Verdict,
)

_IDS = re.compile(r"[UWS][A-Z0-9]{2,}")
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RULE_KEYS = (
    *("name", "match", "approvals", "approvers", "at_least_one_of", "reason"),
    *("ttl", "remind_after", "escalate_to"),
)


def parse_policy(text: str) -> tuple[Policy, list[str]]:
    """The policy in ``text``, and every problem in it (one line each, naming the rule and the key)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return Policy(), [f"not valid TOML: {error}"]
    problems = [
        f"unknown top-level key {key!r} (expected [[rule]] tables)" for key in document if key != "rule"
    ]
    tables = document.get("rule", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        return Policy(), [*problems, "`rule` must be [[rule]] tables"]
    if not tables:
        problems.append("no [[rule]]: write at least one rule, or unset PCC_POLICY")
    rules = []
    for number, table in enumerate(tables, start=1):
        reader = _Reader(
            f"rule {number}" + (f" ({table['name']})" if isinstance(table.get("name"), str) else "")
        )
        rules.append(reader.rule(table))
        problems.extend(reader.problems)
    for index, rule in enumerate(rules[:-1]):
        if rule.match.everything:
            problems.append(
                f"rule {index + 1} ({rule.name}) matches every request: the rules after it never apply"
            )
            break
    return Policy(tuple(rules)), problems


class _Reader:
    """Reads one rule's table, noting every problem instead of stopping at the first."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []

    def _problem(self, key: str, message: str, value: Any) -> None:
        self.problems.append(f"{self.where}: {key} {message}, got {value!r}"[:300])

    def rule(self, table: dict[str, Any]) -> Rule:
        for key in table:
            if key not in _RULE_KEYS:
                self.problems.append(f"{self.where}: unknown key {key!r} (known: {', '.join(_RULE_KEYS)})")
        name = table.get("name", self.where)
        if not isinstance(name, str) or not name.strip():
            self._problem("name", "must be a non-empty string", name)
            name = self.where
        approvals = table.get("approvals", 1)
        if not isinstance(approvals, int) or isinstance(approvals, bool) or not 1 <= approvals <= 10:
            self._problem("approvals", "must be a whole number from 1 to 10", approvals)
            approvals = 1
        approvers = self._ids(table, "approvers")
        at_least = self._ids(table, "at_least_one_of") or frozenset()
        if approvers is not None and at_least - approvers:
            missing = ", ".join(sorted(at_least - approvers))
            self.problems.append(
                f"{self.where}: at_least_one_of names {missing}, which approvers does not list"
            )
        approve, reject = self._reasons(table.get("reason", Reason.NONE.value))
        return Rule(
            name=name,
            match=self._match(table.get("match", {})),
            approvals=approvals,
            approvers=approvers,
            at_least_one_of=at_least,
            approve_reason=approve,
            reject_reason=reject,
            ttl=self._duration(table, "ttl"),
            remind_after=self._duration(table, "remind_after"),
            escalate_to=self._ids(table, "escalate_to") or frozenset(),
        )

    def _ids(self, table: dict[str, Any], key: str) -> frozenset[str] | None:
        if key not in table:
            return None
        value = table[key]
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            self._problem(key, "must be a list of Slack user ids (U…/W…) or user group ids (S…)", value)
            return None
        wrong = [i for i in items if not _IDS.fullmatch(i)]
        if wrong:
            self._problem(key, "must hold Slack user ids (U…/W…) or user group ids (S…)", wrong)
            return None
        return frozenset(items)

    def _reasons(self, value: Any) -> tuple[Reason, Reason]:
        """The reason each verdict asks (approve, reject): one word for both, or a table by verdict."""
        if isinstance(value, str):
            value = dict.fromkeys(Verdict, value)
        if not isinstance(value, dict):
            self._problem(
                "reason", "must be required, optional or none, or { approve = …, reject = … }", value
            )
            return Reason.NONE, Reason.NONE
        for key in value:
            if key not in set(Verdict):
                self.problems.append(
                    f"{self.where}: reason has an unknown key {key!r} (known: {', '.join(Verdict)})"
                )
        found = []
        for verdict in Verdict:
            given = value.get(verdict, Reason.NONE.value)
            if given not in {r.value for r in Reason}:
                self._problem(f"reason.{verdict}", "must be required, optional or none", given)
                given = Reason.NONE.value
            found.append(Reason(given))
        return found[0], found[1]

    def _duration(self, table: dict[str, Any], key: str) -> timedelta | None:
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return timedelta(seconds=value)
        parts = _DURATION.findall(value) if isinstance(value, str) else []
        if parts and "".join(f"{n}{u}" for n, u in parts) == str(value).replace(" ", ""):
            total = sum(int(n) * _UNITS[u] for n, u in parts)
            if 0 < total <= 90 * 86400:
                return timedelta(seconds=total)
        self._problem(key, 'must be a duration like "90m", "2h" or "1d" (at most 90 days)', value)
        return None

    def _match(self, value: Any) -> Match:
        if not isinstance(value, dict):
            self._problem("match", 'must be a table like { certification = ["hds"] }', value)
            return Match()
        for key in value:
            if key not in MATCH_KEYS:
                self.problems.append(
                    f"{self.where}: match has an unknown key {key!r} (known: {', '.join(MATCH_KEYS)})"
                )
        size = value.get("min_size_gb")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int | float) or size < 0):
            self._problem("match.min_size_gb", "must be a number of GB ≥ 0", size)
            size = None
        certification = self._choices(value, "certification", CERTIFICATIONS)
        return Match(
            certification=certification,
            operation=self._choices(value, "operation", policy_names()),
            source=self._globs(value, "source"),
            destination=self._globs(value, "destination"),
            min_size_gb=float(size) if size is not None else None,
        )

    def _strings(self, value: dict[str, Any], key: str) -> list[str] | None:
        given = value[key]
        items = [given] if isinstance(given, str) else given
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
            self._problem(f"match.{key}", "must be a string or a list of strings", given)
            return None
        return items

    def _choices(self, value: dict[str, Any], key: str, allowed: tuple[str, ...]) -> frozenset[str] | None:
        if key not in value or (items := self._strings(value, key)) is None:
            return None
        lowered = [i.lower() for i in items]
        wrong = [i for i in lowered if i not in allowed]
        if wrong:
            self._problem(f"match.{key}", f"must be among {', '.join(allowed)}", wrong)
            return None
        return frozenset(lowered)

    def _globs(self, value: dict[str, Any], key: str) -> tuple[str, ...] | None:
        if key not in value or (items := self._strings(value, key)) is None:
            return None
        return tuple(items)
