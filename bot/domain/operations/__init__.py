"""The mutating operations' behaviour, one module each, named like its line of the operations' table
(``bot/domain/states.py``): ``migration``, ``relaunch``, ``removal``, ``restore``. Each module holds
``BEHAVIOUR``, its ``Behaviour`` (or ``Launch``); ``behaviour_of`` finds it by the operation's name, so
adding an operation is its module and its table line.

Pure: no Slack, OVHcloud or SQL here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import import_module

from bot.domain.inventory import Task
from bot.domain.operations.base import Behaviour as Behaviour
from bot.domain.operations.base import Launch as Launch
from bot.domain.operations.base import Mutation as Mutation
from bot.domain.operations.base import Reading as Reading
from bot.domain.operations.base import restore_name as restore_name
from bot.domain.policy import PolicyOperation
from bot.domain.request import CLOCK_MARGIN, MigrationRequest
from bot.domain.states import OPERATIONS, Operation


@cache
def _behaviour(name: str) -> Behaviour:
    found = import_module(f"{__name__}.{name}").BEHAVIOUR
    if not isinstance(found, Behaviour):
        raise TypeError(f"{__name__}.{name}.BEHAVIOUR is not a Behaviour")
    return found


def behaviour_of(operation: Operation) -> Behaviour:
    """The operation's own behaviour (its module, named like its line of the operations' table)."""
    return _behaviour(operation.name)


def launch_of(request: MigrationRequest) -> Launch:
    """The behaviour of the call that launched the request (the copy, a restore)."""
    found = behaviour_of(request.launch)
    if not isinstance(found, Launch):
        raise TypeError(f"the {request.launch.name} operation launches no request")
    return found


def every_behaviour() -> dict[str, Behaviour]:
    """Each operation's behaviour, by name (the tests check that every line of the table has one)."""
    return {op.name: behaviour_of(op) for op in OPERATIONS}


def with_buttons() -> dict[str, Operation]:
    """The operations a card (or a notice) offers a button for, by the button's key."""
    return {own.button: op for op in OPERATIONS if (own := behaviour_of(op)).button is not None}


def policy_names() -> tuple[str, ...]:
    """The names an approval policy's `match.operation` may use: each operation's, and a plan's."""
    known = tuple(PolicyOperation)
    named = (behaviour_of(op).policy_name for op in OPERATIONS)
    return (*known, *dict.fromkeys(n for n in named if n not in known))


def sort_tasks(
    request: MigrationRequest, operation: Operation, tasks: Sequence[Task]
) -> tuple[list[Task], list[Task]]:
    """(proven, candidates) among tasks read after a call in doubt.

    Proven: in the destination datacenter, created after the decision, carrying the filer id the call
    was about and the operation's task name. Candidates: every task that might be it (no other
    filer id, no other datacenter, not older than the decision): a person chooses among them.
    """
    own = behaviour_of(operation)
    filer = own.task_filer(request)
    names = own.task_names(request)
    datacenter = request.spec.dest_datacenter_id
    since = (request.called_at or request.decided_at or request.created_at) - CLOCK_MARGIN
    proven = [
        t
        for t in tasks
        if t.datacenter_id == datacenter
        and t.executed_at is not None
        and t.executed_at >= since
        and t.filer_id == filer
        and t.name.lower() in names
    ]
    candidates = [
        t
        for t in tasks
        if t.datacenter_id in (datacenter, None)
        and (t.executed_at is None or t.executed_at >= since)
        and t.filer_id in (filer, None)
    ]
    return proven, candidates
