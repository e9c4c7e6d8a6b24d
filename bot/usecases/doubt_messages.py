"""Texts of calls refused or in doubt, and of the tasks people compare with OVHcloud's (mrkdwn, no
I/O): stored untranslated (``stored``) and rendered in the reader's language; ``checking``,
``task_line`` and ``task_meaning`` return a ``Text`` the card renders for its reader. Moments are Slack
date tokens with their UTC fallback. ``bot/usecases/messages.py`` re-exports them."""

from __future__ import annotations

from bot.domain import TASK_STATE_MEANINGS, MigrationRequest, Operation, OvhApiError, Task
from bot.domain.operations import behaviour_of, restore_name
from bot.support.datetoken import date_token
from bot.support.i18n import Text, _, stored
from bot.support.mrkdwn import esc

__all__ = ["restore_name"]


def refused(request: MigrationRequest, operation: Operation, error: OvhApiError) -> str:
    """OVHcloud refused a mutating call: nothing ran."""
    return stored(
        _(
            ":x: Request #{id}: OVHcloud refused {call}: {error}. {after}",
            id=request.id,
            call=behaviour_of(operation).call(request),
            error=esc(error),
            after=behaviour_of(operation).after_refusal,
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
            call=behaviour_of(operation).call(request),
            answer=answer,
            checking=checking(request, operation),
            settled=behaviour_of(operation).settled_by(request),
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
    since = request.called_at or request.decided_at
    operation = operation or request.in_doubt or request.launch
    return behaviour_of(operation).checking(
        request, _(" created after {at}", at=date_token(since)) if since else ""
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
