"""The request's card, its notices' actions, the incident board and `/pcc status`: pure builders, each
in the reader's language (``locale``: the channel's for what a channel sees, the person's for what
only they see)."""

from __future__ import annotations

from bot.adapters.slack import dates
from bot.adapters.slack.card_actions import (
    MAX_CANDIDATES_SHOWN,
    actions_of,
    confirm_of,
    notice_actions,
)
from bot.adapters.slack.kit import (
    Block,
    Message,
    bar,
    context,
    duration,
    fitted,
    header,
    section,
    size_of,
    when,
)
from bot.domain import (
    COPY_FILER_CONSENT,
    IN_DOUBT_STATES,
    OPERATIONS,
    STATE_WORDS,
    AuditEntry,
    MigrationRequest,
    NoticeButton,
    State,
)
from bot.domain.operations import behaviour_of, launch_of
from bot.support.i18n import DEFAULT_LOCALE, Text, _, shown
from bot.support.mrkdwn import esc
from bot.usecases import messages
from bot.usecases.ports import Board

__all__ = ["MAX_CANDIDATES_SHOWN", "confirm_of"]

_EMOJI: dict[State, str] = {
    State.PENDING: ":hourglass_flowing_sand:",
    State.APPROVED: ":arrow_forward:",
    State.REPLICATING: ":arrows_counterclockwise:",
    State.DONE: ":white_check_mark:",
    State.FAILED: ":x:",
    State.NEEDS_ATTENTION: ":warning:",
    State.REJECTED: ":no_entry:",
    State.CANCELLED: ":heavy_multiplication_x:",
    State.EXPIRED: ":zzz:",
    State.REMOVING: ":wastebasket:",
    State.REMOVED: ":white_check_mark:",
    State.RELAUNCHING: ":arrows_counterclockwise:",
}


def _emoji(state: State) -> str:
    """A state's emoji: its own, else its operation's kind (a call in doubt warns; a call being made
    plays)."""
    if state in _EMOJI:
        return _EMOJI[state]
    return ":warning:" if state in IN_DOUBT_STATES else ":arrow_forward:"


#: Each state's emoji and words (bot/domain/states.py: STATE_WORDS).
_LABELS: dict[State, tuple[str, Text]] = {state: (_emoji(state), STATE_WORDS[state]) for state in State}
#: Each state's label in English (plan cards, docs); ``state_label`` says it in a language.
STATE_LABELS = {state: f"{emoji} {words}" for state, (emoji, words) in _LABELS.items()}

#: What each in-doubt state means (its first operation's words), for `/pcc status` and docs/commands.md.
IN_DOUBT_MEANING: dict[State, str] = {}
for _op in OPERATIONS:
    IN_DOUBT_MEANING.setdefault(_op.in_doubt, str(behaviour_of(_op).in_doubt_meaning))


def state_label(state: State, locale: str = DEFAULT_LOCALE) -> str:
    emoji, words = _LABELS[state]
    return f"{emoji} {words.render(locale)}"


def state_words(state: State, locale: str = DEFAULT_LOCALE) -> str:
    """The state's words alone ("cancelled", "annulée")."""
    return _LABELS[state][1].render(locale)


def label_of(request: MigrationRequest, locale: str = DEFAULT_LOCALE) -> str:
    """The request's state as its card and lists say it (an operation may word some states its way)."""
    own = launch_of(request)
    if request.state in own.labels:
        emoji, words = own.labels[request.state]
        return f"{emoji} {words.render(locale)}"
    return state_label(request.state, locale)


def _card_fields(request: MigrationRequest, locale: str) -> str:
    return launch_of(request).card_lines(request).render(locale)


def _decided(request: MigrationRequest) -> list[Text]:
    """Who decided, when (an approval whose call was not sent says nothing yet)."""
    if not request.decided_by or request.state == State.PENDING:
        return []
    who, at = f"<@{request.decided_by}>", when(request.decided_at)
    if request.state == State.REJECTED:
        return [_("rejected by {who} at {at}", who=who, at=at)]
    if request.state == State.CANCELLED:
        return [_("cancelled by {who} at {at}", who=who, at=at)]
    return [_("approved by {who} at {at}", who=who, at=at)]


def _replicating(request: MigrationRequest, locale: str) -> list[str]:
    """A copy under way: its task, bar, expected end, what is copied, for how long."""
    parts = [_("task {meaning}", meaning=messages.task_meaning(request.task_state)).render(locale)]
    if request.progress is not None:
        parts.append(f"`{bar(request.progress / 100)}` {request.progress}% · {expected_end(request, locale)}")
    said: list[Text] = []
    if request.transferred:
        said.append(_("{size} copied", size=esc(size_of(request.transferred))))
    if request.decided_at and request.last_check_at:
        said.append(
            _("running {duration}", duration=duration(request.last_check_at - request.decided_at, locale))
        )
        said.append(_("last check {at}", at=dates.date_token(request.last_check_at, "{time}")))
    return parts + [t.render(locale) for t in said]


def _progress(request: MigrationRequest, locale: str) -> str:
    said = _decided(request)
    if request.task_id is not None:
        said.append(_("OVHcloud task {task}", task=str(request.task_id)))
    parts = [label_of(request, locale), *(t.render(locale) for t in said)]
    if request.task_state and request.state == State.REPLICATING:
        parts.extend(_replicating(request, locale))
    said = []
    if request.state == State.DONE and request.decided_at and request.updated_at:
        said.append(_("took {duration}", duration=duration(request.updated_at - request.decided_at, locale)))
    if request.state == State.PENDING:
        said.append(_("expires {at}", at=when(request.expires_at)))
    parts.extend(t.render(locale) for t in said)
    if request.quorum:  # an approval policy's quorum (usecases/approvals.py): who approved, who is needed
        parts.append(shown(request.quorum, locale))  # stored in no language (older rows: English)
    if request.decision_reason:
        parts.append(_("reason: {reason}", reason=esc(request.decision_reason)).render(locale))
    if request.last_error and (request.state == State.FAILED or request.in_doubt is not None):
        parts.append(esc(request.last_error))
    return " · ".join(parts)


def notice_blocks(
    text: str, offered: NoticeButton, request: MigrationRequest, locale: str = DEFAULT_LOCALE
) -> list[Block]:
    """A notice with the action(s) it offers (the same as on the card, with the same confirms)."""
    return [section(text), *notice_actions(offered, request, locale)]


def card_message(request: MigrationRequest, locale: str = DEFAULT_LOCALE, paused: str = "") -> Message:
    """A request's card in ``locale``; ``paused``: "paused by @x since …" while pcc-bot is paused (said
    first)."""
    kind = launch_of(request).title.render(locale)
    title = f"{kind} #{request.id}: {request.filer_name} → {request.spec.dest_service}"
    blocks: list[Block] = [
        header(title),
        section(_card_fields(request, locale)),
        context(_progress(request, locale)),
    ]
    if paused:
        blocks.insert(1, section(f":double_vertical_bar: *{paused}*"))
    if request.uses_copy_filer and request.state == State.PENDING:
        accepts = _("*Approving accepts, for the customer, OVHcloud's conditions of copyFiler:*")
        blocks.append(section(f"{accepts.render(locale)}\n>{COPY_FILER_CONSENT}"))
    if request.in_doubt is not None:
        meaning = behaviour_of(request.in_doubt).in_doubt_meaning.render(locale)
        checking = messages.checking(request).render(locale)
        doubt = _("*In doubt*: {meaning}. pcc-bot is {checking}.", meaning=meaning, checking=checking)
        blocks.append(section(doubt.render(locale)))
        found = [
            f"• {messages.task_line(t).render(locale)}" for t in request.candidates[:MAX_CANDIDATES_SHOWN]
        ]
        total = len(request.candidates)
        if total > len(found):
            heading = _(
                "*Candidate tasks* (none is provably this request's; the first {shown} of {total}):",
                shown=len(found),
                total=total,
            )
        else:
            heading = _("*Candidate tasks* (none is provably this request's):")
        candidates = [(heading.render(locale), found)]
    else:
        candidates = []

    def more(hidden: int) -> str:
        said = _("{count} more candidate task(s) not shown: one Slack message holds no more.", count=hidden)
        return f"_{said.render(locale)}_"

    blocks = fitted(blocks, candidates, actions_of(request, locale), more)
    return (
        f"{esc(title)} ({state_words(request.state, locale)})",
        blocks,
    )  # the fallback text is read as mrkdwn


#: The incident board's order: what needs a person first, then what moves.
_BOARD_ORDER = [*sorted(IN_DOUBT_MEANING), State.FAILED, State.APPROVED, State.RELAUNCHING, State.REMOVING]


def _state_rank(state: State) -> int:
    return _BOARD_ORDER.index(state) if state in _BOARD_ORDER else len(_BOARD_ORDER)


def board_message(board: Board, locale: str = DEFAULT_LOCALE) -> Message:
    """The incident-room board: edited in place as migrations move. At any size, it fits one Slack
    message: the counts by state, the requests that need a person first, and what is not shown said."""
    title = _(
        "Datastore copies: {active} active, {done} done, {failed} failed",
        active=len(board.active),
        done=board.done,
        failed=board.failed,
    ).render(locale)
    head = [header(title)]
    if board.paused:  # nothing is sent until an approver resumes: said first
        head.append(section(f":double_vertical_bar: *{board.paused}*"))
    if board.active:
        counts: dict[State, int] = {}
        for r in board.active:
            counts[r.state] = counts.get(r.state, 0) + 1
        ordered = sorted(counts.items(), key=lambda kv: _state_rank(kv[0]))
        shown = (f"{_LABELS[s][0]} {n} {_LABELS[s][1].render(locale)}" for s, n in ordered)
        head.append(context(" · ".join(shown)))
    ranked = sorted(board.active, key=lambda r: (_state_rank(r.state), r.id))
    lines = [request_line(r, locale) for r in ranked] or [
        "_" + _("No migration in flight.").render(locale) + "_"
    ]
    note = context(
        _("Completions and failures are posted as separate messages in this channel.").render(locale)
    )

    def more(hidden: int) -> str:
        said = _(
            "{count} more in flight not shown: one Slack message holds no more. The counts above cover "
            "them all; `/pcc list` lists the recent ones, each plan's board its own.",
            count=hidden,
        )
        return f"_{said.render(locale)}_"

    in_flight = "*" + _("In flight").render(locale) + "*"
    return title, fitted(head, [(in_flight, lines)], [note], more)


def expected_end(request: MigrationRequest, locale: str = DEFAULT_LOCALE) -> str:
    """ "ends around <date token> (about 1 h 20 min left)", "estimating…", or why there is no estimate."""
    found = request.expected_end()
    left = found.left(request.last_check_at or request.created_at)
    if found.end is None or left is None:
        said = _("no estimate: not moving") if found.status == "stalled" else _("end: estimating…")
        return said.render(locale)
    return dates.expected_end(found.end, left, locale)


def progress_of(r: MigrationRequest, locale: str = DEFAULT_LOCALE) -> str:
    """A replicating request's bar, percentage and expected end; nothing otherwise."""
    if r.state != State.REPLICATING or r.progress is None:
        return ""
    return f" `{bar(r.progress / 100)}` {r.progress}% · {expected_end(r, locale)}"


def request_line(r: MigrationRequest, locale: str = DEFAULT_LOCALE) -> str:
    progress = progress_of(r, locale)
    return (
        f"#{r.id} {label_of(r, locale)}{progress} · `{esc(r.filer_name)}` {r.spec.source_service} → "
        f"{r.spec.dest_service}/{r.spec.dest_datacenter_id} · <@{r.requester}>"
    )


def _said_state(value: str, locale: str) -> str:
    """A state an audit line names, in the reader's words (a value this version does not know: as stored)."""
    return state_words(State(value), locale) if value in State._value2member_map_ else value


def status_message(
    request: MigrationRequest, history: list[AuditEntry], locale: str = DEFAULT_LOCALE
) -> Message:
    """The card without its buttons, then its history, newest first (the oldest lines are the ones
    left out, and counted, when one message cannot hold them all)."""
    text, blocks = card_message(request, locale)
    blocks = [b for b in blocks if b["type"] != "actions"]
    lines = []
    for entry in reversed(history):
        origin = _said_state(entry.from_state, locale) if entry.from_state else _("new").render(locale)
        move = f" ({origin} → {_said_state(entry.to_state, locale)})" if entry.to_state else ""
        actor = entry.actor if entry.actor == "pcc-bot" else f"<@{entry.actor}>"
        query = _("OVH query id {query}", query=esc(entry.query_id or "")).render(locale)
        qid = f" · {query}" if entry.query_id else ""
        detail = f": {esc(entry.detail)}" if entry.detail else ""
        lines.append(f"{when(entry.at)} · {actor} · {esc(entry.action)}{move}{detail}{qid}")

    def more(hidden: int) -> str:
        said = _(
            "{count} older line(s) not shown: `/pcc audit` (approvers) has the whole trail as a CSV.",
            count=hidden,
        )
        return f"_{said.render(locale)}_"

    heading = _("*History* (newest first)").render(locale)
    return text, fitted(blocks, [(heading, lines)], [], more)
