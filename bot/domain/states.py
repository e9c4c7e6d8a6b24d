"""The request's state machine, and the mutating operations with the states around each call."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from bot.domain.errors import Conflict
from bot.support.i18n import Text, _


class State(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REPLICATING = "replicating"
    DONE = "done"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REMOVING = "removing"  # the read-only copy is being removed from the destination
    REMOVED = "removed"
    RELAUNCHING = "relaunching"  # resetTaskState is being sent for a task in `error`
    RELAUNCH_IN_DOUBT = "relaunch_in_doubt"  # resetTaskState got no clear answer: checked by reading
    REMOVAL_IN_DOUBT = "removal_in_doubt"  # the copy's removal got no clear answer: checked by reading


#: Each state as people read it (cards, lists, refusals), not yet in any language.
STATE_WORDS: dict[State, Text] = {
    State.PENDING: _("waiting for approval"),
    State.APPROVED: _("approved, calling OVHcloud"),
    State.REPLICATING: _("replicating"),
    State.DONE: _("done"),
    State.FAILED: _("failed"),
    State.NEEDS_ATTENTION: _("needs attention"),
    State.REJECTED: _("rejected"),
    State.CANCELLED: _("cancelled"),
    State.EXPIRED: _("expired"),
    State.REMOVING: _("copy being removed"),
    State.REMOVED: _("done, copy removed"),
    State.RELAUNCHING: _("relaunch approved, calling OVHcloud"),
    State.RELAUNCH_IN_DOUBT: _("relaunch in doubt"),
    State.REMOVAL_IN_DOUBT: _("copy removal in doubt"),
}


#: The moves no operation's call makes (a call's own moves are its line of the operations' table below).
_DECISIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.REJECTED, State.CANCELLED, State.EXPIRED}),
    # The POST was never sent (no budget place in time, or the bot stopping): it can be approved again.
    State.APPROVED: frozenset({State.PENDING}),
    # The poller reads the task's end; a removal's task ends with the copy gone.
    State.REPLICATING: frozenset({State.DONE, State.FAILED}),
    State.REMOVING: frozenset({State.REMOVED}),
    State.REMOVAL_IN_DOUBT: frozenset({State.REMOVED}),
}

ACTIVE_STATES = frozenset(
    {
        State.PENDING,
        State.APPROVED,
        State.REPLICATING,
        State.NEEDS_ATTENTION,
        State.RELAUNCHING,
        State.RELAUNCH_IN_DOUBT,
    }
)

#: Migrations under way: approved and not yet finished (the board and the App Home list them).
IN_FLIGHT_STATES = ACTIVE_STATES - {State.PENDING}
#: Requests whose copy was made (whatever happens to it after).
COPIED_STATES = frozenset({State.DONE, State.REMOVING, State.REMOVAL_IN_DOUBT, State.REMOVED})


@dataclass(frozen=True)
class Operation:
    """A mutating OVHcloud call and the states around it. Every such call follows one rule: only the
    winner of the compare-and-set ``origin -> calling`` sends it, once; an explicit refusal moves the
    request to ``refused``; an ambiguous outcome to ``in_doubt``, which the poller resolves by reading."""

    name: str
    origin: State
    calling: State
    success: State
    refused: State
    in_doubt: State

    @property
    def not_started(self) -> State:
        """What "Close: not started" does to a request in doubt: the call is then known not to have
        run, as after a refusal."""
        return self.refused


#: The mutating calls, a line each, with the states around the call (the fields of `Operation`).
#: A removal stays `removing` once called: its task ends it.
_OPERATIONS = """
operation   origin   calling      success      refused  in_doubt
migration   pending  approved     replicating  failed   needs_attention
relaunch    failed   relaunching  replicating  failed   relaunch_in_doubt
removal     done     removing     removing     done     removal_in_doubt
restore     pending  approved     replicating  failed   needs_attention
"""


def _operations(table: str) -> tuple[Operation, ...]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    if header[1:] != [field.name for field in fields(Operation)][1:]:
        raise ValueError(f"the operations' columns are {header}, not the fields of Operation")
    return tuple(Operation(name, *(State(state) for state in states)) for name, *states in rows)


OPERATIONS = _operations(_OPERATIONS)
_BY_NAME = {op.name: op for op in OPERATIONS}
#: The operations other modules name (a line added to the table needs no name here).
MIGRATION, RELAUNCH, REMOVAL, RESTORE = (_BY_NAME[n] for n in ("migration", "relaunch", "removal", "restore"))
IN_DOUBT_STATES = frozenset(op.in_doubt for op in OPERATIONS)


def _transitions() -> dict[State, frozenset[State]]:
    """Every move: each call's (``origin -> calling``; then its task, its refusal or its doubt; a doubt
    settled either way, or "Close: not started"), and the decisions' (``_DECISIONS``)."""
    moves: dict[State, set[State]] = {state: set(targets) for state, targets in _DECISIONS.items()}
    for op in OPERATIONS:
        moves.setdefault(op.origin, set()).add(op.calling)
        moves.setdefault(op.calling, set()).update({op.success, op.refused, op.in_doubt} - {op.calling})
        moves.setdefault(op.in_doubt, set()).update({op.success, op.refused})
    return {state: frozenset(targets) for state, targets in moves.items()}


TRANSITIONS = _transitions()
#: The call an approval makes, by the route a request is filed under (the copy's, by default).
LAUNCHES: dict[str, Operation] = {"batchRestore": RESTORE}


def operation_in_doubt(state: State, launched_by: Operation = MIGRATION) -> Operation | None:
    """The operation whose outcome is unknown when a request is in ``state``: the call that launched
    the request first (operations may share their states)."""
    return next((op for op in (launched_by, *OPERATIONS) if op.in_doubt == state), None)


def operation_calling(state: State, launched_by: Operation = MIGRATION) -> Operation | None:
    """The operation being called when a request is in ``state`` (the call that launched the request
    first, as for ``operation_in_doubt``)."""
    return next((op for op in (launched_by, *OPERATIONS) if op.calling == state), None)


def can_transition(source: State, target: State) -> bool:
    return target in TRANSITIONS.get(source, frozenset())


def check_transition(source: State, target: State) -> None:
    if not can_transition(source, target):
        said = _(
            "a request that is {source} cannot become {target}",
            source=str(source),  # the states' own names: what the audit trail and the docs use
            target=str(target),
        )
        raise Conflict(str(said), text=said)
