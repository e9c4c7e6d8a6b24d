"""Texts of calls refused or in doubt, and of the tasks people compare with OVHcloud's (mrkdwn, no
I/O): stored untranslated (``stored``) and rendered in the reader's language; ``checking``,
``task_line`` and ``task_meaning`` return a ``Text`` the card renders for its reader. Moments are Slack
date tokens with their UTC fallback. ``bot/usecases/messages.py`` re-exports them."""

from __future__ import annotations

from bot.domain import (
    MIGRATION,
    RELAUNCH,
    REMOVAL,
    TASK_STATE_MEANINGS,
    MigrationRequest,
    Operation,
    OvhApiError,
    Task,
)
from bot.domain.restore import words_of
from bot.support.datetoken import date_token
from bot.support.i18n import Text, _, stored
from bot.support.mrkdwn import esc


def restore_name(request: MigrationRequest) -> str:
    """The name OVHcloud gives the copy: restore-<source datastore number>."""
    number = request.filer_name.rsplit("-", 1)[-1]
    return f"restore-{number}" if number.isdigit() else f"restore-{request.spec.filer_id:06d}"


def _call(request: MigrationRequest, operation: Operation) -> Text | str:
    """A mutating call as people name it."""
    own = words_of(operation)
    if own is not None:
        return own.call(request)
    return {
        MIGRATION.name: _("the call {call}", call=f"`{request.api_call}`"),
        RELAUNCH.name: _("resetTaskState on OVHcloud task {task}", task=str(request.task_id)),
        REMOVAL.name: _("the removal of {copy}", copy=f"`{restore_name(request)}`"),
    }[operation.name]


#: After a refusal: what is left, and what people can do about it.
_AFTER_REFUSAL = {
    MIGRATION.name: _("Nothing was started; file a new request once the cause is fixed."),
    RELAUNCH.name: _("The task is still in `error`; *Retry* is offered again once the cause is fixed."),
    REMOVAL.name: _(
        "The copy is still there. A datastore that still holds VMs cannot be removed: clone or "
        "unregister them first."
    ),
}


def _after_refusal(operation: Operation) -> Text | str:
    own = words_of(operation)
    return own.after_refusal if own is not None else _AFTER_REFUSAL[operation.name]


def _settled_by(request: MigrationRequest, operation: Operation) -> Text | str:
    """A call in doubt: what people settle it with, once they have checked at OVHcloud."""
    own = words_of(operation)
    if own is not None:
        return own.settled_by(request)
    if operation is RELAUNCH:
        return _("a person closes the doubt with *Close: not started* when the task was not relaunched.")
    if operation is REMOVAL:
        return _(
            "an approver adopts the right task from the card, or closes the doubt with *Close: not "
            "started* when the removal did not start."
        )
    return _(
        "an approver adopts the right task from the card, or closes the request with *Close: not "
        "started* (or {cancel}) when nothing started.",
        cancel=f"`/pcc cancel {request.id}`",
    )


def refused(request: MigrationRequest, operation: Operation, error: OvhApiError) -> str:
    """OVHcloud refused a mutating call: nothing ran."""
    return stored(
        _(
            ":x: Request #{id}: OVHcloud refused {call}: {error}. {after}",
            id=request.id,
            call=_call(request, operation),
            error=esc(error),
            after=_after_refusal(operation),
        )
    )


def in_doubt(request: MigrationRequest, operation: Operation, error: OvhApiError | None = None) -> str:
    """A mutating call whose outcome is unknown: an unclear answer (``error``), or none recorded."""
    answer = (
        _("got no clear answer ({error})", error=esc(error))
        if error is not None
        else _("was never answered on record (pcc-bot stopped, or could not store the answer)")
    )
    return stored(
        _(
            ":warning: Request #{id} needs attention: {call} {answer}. It may have run. pcc-bot will not "
            "send it again; it keeps {checking}. Check at OVHcloud before doing anything by hand: "
            "{settled}",
            id=request.id,
            call=_call(request, operation),
            answer=answer,
            checking=checking(request, operation),
            settled=_settled_by(request, operation),
        )
    )


def adopted(request: MigrationRequest, task_id: int, actor: str) -> str:
    if actor == "pcc-bot":
        said = _(
            "pcc-bot found OVHcloud task {task} for request #{id}; tracking it now.",
            task=str(task_id),
            id=request.id,
        )
    else:
        said = _(
            "{who} chose OVHcloud task {task} for request #{id}; tracking it now.",
            who=f"<@{actor}>",
            task=str(task_id),
            id=request.id,
        )
    return stored(said)


def task_meaning(state: str | None) -> Text:
    """A task state as people read it, with the API's own word."""
    if not state:
        return _("not read yet")
    meaning = TASK_STATE_MEANINGS.get(state)
    if meaning:
        return _("{meaning} ({state})", meaning=meaning, state=f"`{state}`")
    return _("{state} (a state pcc-bot does not know)", state=f"`{esc(state)}`")


def checking(request: MigrationRequest, operation: Operation | None = None) -> Text:
    """What the poller reads to settle a call in doubt (shown on the card, by `/pcc status` and in the
    notice of the doubt): ``operation`` is the call's, by default the one the request is in doubt about."""
    spec = request.spec
    since = request.called_at or request.decided_at
    operation = operation or request.in_doubt
    own = words_of(operation) if operation is not None else None
    if own is not None:
        return own.checking(request, _(" created after {at}", at=date_token(since)) if since else "")
    after = _(" created after {at}", at=date_token(since)) if since else ""
    if operation is RELAUNCH:
        return _("checking task {task}: relaunched once it leaves `error`", task=str(request.task_id))
    if operation is REMOVAL:
        filer = _(" (filer {id})", id=request.copy_filer_id) if request.copy_filer_id is not None else ""
        return _(
            "checking whether {copy}{filer} is gone from datacenter {dc}, and for its `removeFiler` "
            "task{after}",
            copy=f"`{restore_name(request)}`",
            filer=filer,
            dc=spec.dest_datacenter_id,
            after=after,
        )
    return _(
        "checking the tasks of {dest} datacenter {dc} for a {route} task on filer {filer}{after}",
        dest=spec.dest_service,
        dc=spec.dest_datacenter_id,
        route=f"`{request.route}`",
        filer=spec.filer_id,
        after=after,
    )


def unreadable(
    request: MigrationRequest, task_id: int | None, query_ids: list[str], found: list[Task]
) -> str:
    """A tracked task OVHcloud has not let pcc-bot read for several polls in a row."""
    seen = (
        _("Tasks of that datastore found on the destination:\n{tasks}", tasks=_lines(found))
        if found
        else _("No task of that datastore shows in the destination's task list either.")
    )
    return stored(
        _(
            ":grey_question: Request #{id}: OVHcloud task {task} could not be read for {polls} polls in "
            "a row (OVH query ids {queries}). pcc-bot keeps reading it. {seen} Give OVHcloud support the "
            "task id and the query ids.",
            id=request.id,
            task=str(task_id),
            polls=len(query_ids),
            queries=", ".join(esc(q) for q in query_ids),
            seen=seen,
        )
    )


def _lines(tasks: tuple[Task, ...] | list[Task]) -> Text:
    """Candidate tasks, one a line (each rendered in the reader's language)."""
    return Text(
        "\n".join(f"• {{t{n}}}" for n in range(len(tasks))),
        {f"t{n}": task_line(t) for n, t in enumerate(tasks)},
    )


def task_line(task: Task) -> Text:
    """One candidate task, as people compare it with what they see at OVHcloud."""
    started = _(" · started {at}", at=date_token(task.executed_at)) if task.executed_at else ""
    return _(
        "task {task} {name} {state} · filer {filer}{started}",
        task=str(task.task_id),
        name=f"`{esc(task.name or '?')}`",
        state=esc(task.state),
        filer=str(task.filer_id) if task.filer_id is not None else _("not given"),
        started=started,
    )


def needs_decision(request: MigrationRequest, candidates: tuple[Task, ...]) -> str:
    """A call in doubt the bot cannot settle by itself: what it found, and what people can do."""
    found = (
        _(
            "These tasks might be it, but none is provably this request's:\n{tasks}\n",
            tasks=_lines(candidates),
        )
        if candidates
        else _("No task on the destination matches it yet.\n")
    )
    return stored(
        _(
            ":raising_hand: Request #{id} needs a decision ({state}). {found}An approver who checked at "
            "OVHcloud picks *Adopt task N*, or *Close: not started* when nothing started. pcc-bot keeps "
            "reading meanwhile.",
            id=request.id,
            state=str(request.state),
            found=found,
        )
    )
