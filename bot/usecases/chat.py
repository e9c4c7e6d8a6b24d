"""Telling the chat: state changes with their notices, request cards, the incident board, the outbox.

Part of the service layer: it speaks to the chat only through the Notifier port.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from bot.domain import (
    COPIED_STATES,
    IN_FLIGHT_STATES,
    MigrationRequest,
    NotFound,
    Notice,
    NoticeButton,
    NoticeDraft,
    NoticeKind,
    NoticeNotDelivered,
    State,
    StorageError,
)
from bot.support.i18n import shown
from bot.usecases import messages
from bot.usecases.ports import Board, Change, Clock, MessageRef, Notifier, PlanBoard, Repository
from bot.usecases.settings import ServiceSettings

log = logging.getLogger(__name__)

#: The actor of what pcc-bot does by itself, in the audit trail.
BOT = "pcc-bot"


def require(repo: Repository, request_id: int) -> MigrationRequest:
    request = repo.get(request_id)
    if request is None:
        raise NotFound(f"request #{request_id} not found")
    return request


#: A plan's board is edited at most this often while its datastores move (Slack's chat.update is tier 3).
PLAN_EDIT_EVERY = timedelta(seconds=3)


def _retry_delay(attempts: int) -> timedelta:
    """Backoff for a notice the chat did not accept: 5 s, 10 s, 20 s... capped at 5 minutes."""
    return timedelta(seconds=min(300, 5 * 2**attempts))


class ChatDesk:
    """Records a change and tells the chat about it; keeps the outbox, the cards and the board."""

    def __init__(
        self, *, repo: Repository, notifier: Notifier, clock: Clock, settings: ServiceSettings
    ) -> None:
        self._repo = repo
        self._notifier = notifier
        self._clock = clock
        self._settings = settings
        self._delivery = threading.Lock()
        # What the chat accepted but the database refused to record: kept while the database cannot
        # take it (nothing else can), and retried under this replica's claim, which no other takes
        # until its lease lapses. A replica that dies in that gap leaves the notice to be sent again
        # by whoever takes its claim over: at least once, never lost.
        self._accepted: set[int] = set()  # notices the chat accepted whose record failed
        self._unsaved_cards: dict[int, MessageRef] = {}  # cards posted whose ts is not stored yet
        self._plan_edits: dict[int, datetime] = {}  # when each plan's board was last edited
        self._plan_digests: dict[int, str] = {}  # what it showed then
        self._plans_due: set[int] = set()  # plans whose board waits for its next edit

    def thread_and_incident(  # the same notice in the request's thread and in the incident room
        self,
        request: MigrationRequest,
        key: str,
        text: str,
        button: NoticeButton | None = None,
        *,
        routine: bool = False,
    ) -> list[NoticeDraft]:
        """A ``routine`` notice of a plan's datastore (a completion) stays in the plan's thread: the
        incident room gets the plan's start, its failures and one summary."""
        to_room = not (routine and request.plan_id is not None)
        return self.thread_and_room(request.channel, key, text, button, to_room=to_room)

    def thread_and_room(
        self, channel: str, key: str, text: str, button: NoticeButton | None = None, *, to_room: bool = True
    ) -> list[NoticeDraft]:
        """A notice in the thread of the card in ``channel`` (a request's or a plan's) and, when there is
        one, in the incident room."""
        notices = [NoticeDraft(NoticeKind.THREAD, key, channel, text, button)]
        room = self._settings.incident_channel
        if room and to_room:
            notices.append(NoticeDraft(NoticeKind.INCIDENT, f"{key}-incident", room, text, button))
        return notices

    def move(
        self,
        request: MigrationRequest,
        expected: State,
        target: State,
        change: Change,
        *,
        deliver: bool = True,
    ) -> bool:
        """The one path of a request's state change. If the request is still ``expected``, record
        ``change`` (a transition, or an amendment when ``target`` is the same state) by compare-and-set,
        with its audit line and its notices in the same transaction; then refresh its card and, unless
        ``deliver`` is False (a call about to be made, or delivery itself moving a request), send its
        notices. False when another change came first (nothing recorded)."""
        now = self._clock.now()
        if expected == target:
            moved = self._repo.amend(request.id, expected, change, now)
        else:
            moved = self._repo.transition(request.id, expected, target, change, now)
        if moved:
            log.info(
                "request #%d: %s (%s -> %s) %s", request.id, change.action, expected, target, change.detail
            )
            self.refresh_card(request.id)
            if deliver:
                self.deliver()
        else:
            log.info("request #%d was no longer %s; %s skipped", request.id, expected, change.action)
        return moved

    def refresh_card(self, request_id: int) -> None:
        request = require(self._repo, request_id)
        if request.plan_id is not None:
            self.refresh_plan(request.plan_id)  # a plan's datastore: its card is the plan's board
            return
        if request.card_ts is None:
            return  # the card is still queued; it will be posted with the current state
        try:
            self._notifier.update_card(request)
        except NoticeNotDelivered as error:
            log.warning("request #%d: card not updated (%s); the next change retries", request_id, error)
            return
        self._repo.update_fields(request_id, {"card_updated_at": self._clock.now()}, self._clock.now())

    def plan_board(self, plan_id: int) -> PlanBoard:
        plan = self._repo.get_plan(plan_id)
        if plan is None:
            raise NotFound(f"plan #{plan_id} not found")
        return PlanBoard(plan, tuple(self._repo.plan_items(plan_id)), self._clock.now())

    def refresh_plan(self, plan_id: int, *, at_once: bool = False) -> None:
        """Edit the plan's board; while its datastores move fast (a dispatch), at most once every few
        seconds: the poller's tick edits what is left (``refresh_plans``)."""
        now = self._clock.now()
        last = self._plan_edits.get(plan_id)
        if not at_once and last is not None and now - last < PLAN_EDIT_EVERY:
            self._plans_due.add(plan_id)
            return
        board = self.plan_board(plan_id)
        if board.plan.card_ts is None or self._plan_digests.get(plan_id) == board.digest():
            return
        try:
            self._notifier.update_plan(board)
        except NoticeNotDelivered as error:  # refused for good: not tried again until the board changes
            log.warning("plan #%d: board not edited (%s; for good: %s)", plan_id, error, error.permanent)
            if not error.permanent:
                self._plans_due.add(plan_id)
                return
        self._plan_edits[plan_id], self._plan_digests[plan_id] = now, board.digest()
        self._plans_due.discard(plan_id)

    def refresh_plans(self) -> None:
        for plan_id in sorted(self._plans_due):
            self.refresh_plan(plan_id, at_once=True)

    def refresh_board(self) -> None:
        """Post the incident-room board once, then edit it whenever what it shows changes."""
        channel = self._settings.incident_channel
        if not channel:
            return
        counts = self._repo.count_by_state()
        active = self._repo.in_states(sorted(IN_FLIGHT_STATES))
        board = Board(
            active=tuple(active),
            done=sum(counts.get(s.value, 0) for s in COPIED_STATES),
            failed=counts.get(State.FAILED.value, 0),
        )
        saved = self._repo.board(channel)
        if saved is None and not (board.active or board.done or board.failed):
            return  # nothing to show yet
        if saved is not None and saved[1] == board.digest():
            return
        try:
            if saved is None:
                ref = self._notifier.post_board(channel, board)
            else:
                ref = MessageRef(channel, saved[0])
                self._notifier.update_board(ref, board)
        except NoticeNotDelivered as error:
            if not (error.permanent and saved is not None):
                log.warning("incident board not updated (%s); the next poll retries", error)
                return
            log.error("incident board refused for good (%s); edited again when it changes", error)
        self._repo.save_board(channel, ref.ts, board.digest(), self._clock.now())

    def deliver(self) -> int:
        """Send what is due in the outbox, by next attempt time, under this replica's claim (another
        replica sends what it claimed); a notice is marked sent only once the chat accepted it. A
        notice the chat refuses for good is dead-lettered and reported once."""
        sent, settings = 0, self._settings
        with self._delivery:
            now = self._clock.now()
            until = now + settings.notice_lease
            for notice in self._repo.claim_notices(now, settings.notice_batch, settings.replica, until):
                if not self._still_ours(notice):
                    continue
                try:
                    self._send(notice)
                except NoticeNotDelivered as error:
                    self._not_delivered(notice, error, now)
                    continue
                try:
                    self._repo.notice_sent(notice.id, self._clock.now())
                except StorageError as error:
                    log.error(
                        "notice %d sent but not recorded (%s); it will not be sent again", notice.id, error
                    )
                    continue
                self._accepted.discard(notice.id)
                sent += 1
        return sent

    def _still_ours(self, notice: Notice) -> bool:
        """Renew the claim's lease just before the send: a batch slower than its lease (a slow Slack)
        never sends what another replica took over meanwhile."""
        until = self._clock.now() + self._settings.notice_lease
        try:
            return self._repo.renew_notice_claim(notice.id, self._settings.replica, until)
        except StorageError as error:  # still claimed by this replica: sent at a later delivery
            log.warning("notice %d not sent now: its claim could not be renewed (%s)", notice.id, error)
            return False

    def _send(self, notice: Notice) -> None:
        """Post one notice, unless the chat already accepted it and only its record is missing."""
        if notice.id in self._accepted:
            return
        if notice.request_id is None:
            self._send_about_plan(notice)
            self._accepted.add(notice.id)
            return
        request = require(self._repo, notice.request_id)
        offer = (notice.button, request) if notice.button else None
        if notice.kind == NoticeKind.CARD:
            self._post_card_once(request)
        elif notice.kind == NoticeKind.THREAD:
            if request.card_ts is None or request.card_channel is None:
                if self._repo.card_refused(request.id):
                    raise NoticeNotDelivered("its request's card was refused by Slack", permanent=True)
                raise NoticeNotDelivered("the card is not posted yet", retry_after=5)
            self._notifier.post_text(request.card_channel, self._words(notice), request.card_ts, offer)
        else:
            self._notifier.post_text(notice.channel, self._words(notice), None, offer)
        self._accepted.add(notice.id)

    def _words(self, notice: Notice) -> str:
        """A notice's text in the channel's language (stored untranslated: bot/support/i18n.py)."""
        return shown(notice.text, self._settings.locale)

    def _send_about_plan(self, notice: Notice) -> None:
        assert notice.plan_id is not None
        if notice.kind == NoticeKind.CARD:
            board = self.plan_board(notice.plan_id)
            if board.plan.card_ts is None:
                ref = self._notifier.post_plan(board)
                self._repo.set_plan_card(notice.plan_id, ref.channel, ref.ts)
                self._plan_edits[notice.plan_id] = self._clock.now()
                self._plan_digests[notice.plan_id] = board.digest()
                self._queue_plan_list(board)
        elif notice.kind == NoticeKind.THREAD:
            plan = self.plan_board(notice.plan_id).plan
            if plan.card_ts is None or plan.card_channel is None:
                raise NoticeNotDelivered("the plan's card is not posted yet", retry_after=5)
            self._notifier.post_text(plan.card_channel, self._words(notice), plan.card_ts)
        else:
            self._notifier.post_text(notice.channel, self._words(notice))

    def _queue_plan_list(self, board: PlanBoard) -> None:
        """The plan's whole list as filed, in its card's thread: the card shows what one Slack message
        holds and says that the rest is there."""
        plan = board.plan
        drafts = [
            NoticeDraft(NoticeKind.THREAD, f"list-{n}", plan.channel, text)
            for n, text in enumerate(messages.plan_list(plan), start=1)
        ]
        self._repo.queue_plan_notices(plan.id, drafts, self._clock.now())

    def _post_card_once(self, request: MigrationRequest) -> None:
        """A request has one live card: a card Slack accepted whose ts could not be stored is not
        posted again; storing its ts is retried instead."""
        if request.card_ts is not None:
            return
        ref = self._unsaved_cards.get(request.id) or self._notifier.post_card(request)
        self._unsaved_cards[request.id] = ref
        try:
            self._repo.set_card(request.id, ref.channel, ref.ts)
        except StorageError as error:
            raise NoticeNotDelivered(f"card posted, its ts not stored yet: {error}", retry_after=5) from error
        del self._unsaved_cards[request.id]

    def _not_delivered(self, notice: Notice, error: NoticeNotDelivered, now: datetime) -> None:
        try:
            if error.permanent:
                self._dead_letter(notice, error, now)
                return
            delay = (
                timedelta(seconds=error.retry_after)
                if error.retry_after is not None
                else _retry_delay(notice.attempts)
            )
            log.warning(
                "notice %d for %s not delivered (%s); retry in %s", notice.id, notice.about, error, delay
            )
            self._repo.notice_failed(notice.id, str(error), now + delay)
        except StorageError as storage:
            log.error("notice %d: its delivery could not be recorded (%s)", notice.id, storage)

    def _withdraw_uncarded(self, request_id: int, notice: Notice, error: NoticeNotDelivered) -> None:
        """A pending request whose card Slack refused for good can never be approved: it is cancelled,
        so that its datastore can be requested again where pcc-bot can post."""
        request = require(self._repo, request_id)
        if request.state != State.PENDING:
            return
        now = self._clock.now()
        change = Change(
            actor=BOT,
            action="cancelled",
            detail=f"its card could not be posted in {notice.channel} ({error.reason})",
            fields={"decided_by": BOT, "decided_at": now},
        )
        self.move(request, State.PENDING, State.CANCELLED, change, deliver=False)  # within delivery

    def _dead_letter(self, notice: Notice, error: NoticeNotDelivered, now: datetime) -> None:
        log.error(
            "notice %d for %s dead-lettered: Slack refused it for good (%s) in %s",
            notice.id,
            notice.about,
            error,
            notice.channel,
        )
        self._repo.notice_dead(notice.id, str(error), now)
        if notice.kind == NoticeKind.CARD and notice.request_id is not None:
            self._withdraw_uncarded(notice.request_id, notice, error)
        room = self._settings.incident_channel
        if room and notice.channel != room and notice.kind != NoticeKind.INCIDENT:
            follow = f"/pcc status {notice.request_id}" if notice.request_id is not None else "/pcc list"
            text = (
                f":mailbox_closed: A message about {notice.about} could not be delivered to "
                f"<#{notice.channel}> ({error.reason}); it will not be retried. Invite pcc-bot to that "
                f"channel, or follow it with `{follow}`."
            )
            draft = NoticeDraft(NoticeKind.INCIDENT, f"dead-{notice.id}", room, text)
            if notice.request_id is not None:
                self._repo.queue_notice(notice.request_id, draft, now)
            elif notice.plan_id is not None:
                self._repo.queue_plan_notices(notice.plan_id, [draft], now)
