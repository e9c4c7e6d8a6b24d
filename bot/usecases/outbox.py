"""The outbox: notices recorded with their state change, sent under this replica's claim, marked sent
once the chat accepted them, retried with backoff, dead-lettered when refused for good.

Part of the service layer: it speaks to the chat only through the Notifier port.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain import Notice, NoticeDraft, NoticeKind, NoticeNotDelivered, StorageError
from bot.support.i18n import _, shown, stored
from bot.usecases import plan_messages
from bot.usecases.boards import Boards, ChatPorts
from bot.usecases.ports import People, PlanBoard
from bot.usecases.records import require
from bot.usecases.stores import NoticeStore, RequestStore

log = logging.getLogger(__name__)

#: What becomes of a request (or a plan) whose card Slack refused for good (ChatDesk withdraws it), by id.
CardRefused = Callable[[int, Notice, NoticeNotDelivered], None]


def _retry_delay(attempts: int) -> timedelta:
    """Backoff for a notice the chat did not accept: 5 s, 10 s, 20 s... capped at 5 minutes."""
    return timedelta(seconds=min(300, 5 * 2**attempts))


class Outbox:
    """Delivers the notices due, at least once and never lost."""

    def __init__(
        self,
        ports: ChatPorts,
        *,
        requests: RequestStore,
        notices: NoticeStore,
        boards: Boards,
        card_refused: CardRefused,
        plan_card_refused: CardRefused,
        people: People | None = None,
    ) -> None:
        self._notifier, self._clock, self._settings = ports
        self._requests, self._notices = requests, notices
        self._boards = boards
        self._card_refused = card_refused
        self._plan_card_refused = plan_card_refused
        self._people = people
        self._delivery = threading.Lock()
        # What the chat accepted but the database refused to record: kept while the database cannot
        # take it (nothing else can), and retried under this replica's claim, which no other takes
        # until its lease lapses. A replica that dies in that gap leaves the notice to be sent again
        # by whoever takes its claim over: at least once, never lost.
        self._accepted: set[int] = set()  # notices the chat accepted whose record failed

    def deliver(self) -> int:
        """Send what is due in the outbox, by next attempt time, under this replica's claim (another
        replica sends what it claimed); a notice is marked sent only once the chat accepted it. A
        notice the chat refuses for good is dead-lettered and reported once."""
        sent, settings = 0, self._settings
        with self._delivery:
            now = self._clock.now()
            until = now + settings.notice_lease
            for notice in self._notices.claim(now, settings.notice_batch, settings.replica, until):
                if not self._still_ours(notice):
                    continue
                try:
                    self._send(notice)
                except NoticeNotDelivered as error:
                    self._not_delivered(notice, error, now)
                    continue
                try:
                    self._notices.mark_sent(notice.id, self._clock.now())
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
            return self._notices.renew_claim(notice.id, self._settings.replica, until)
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
        request = require(self._requests, notice.request_id)
        offer = (notice.button, request) if notice.button else None
        if notice.kind == NoticeKind.CARD:
            self._boards.post_card_once(request)
        elif notice.kind == NoticeKind.THREAD:
            if request.card_ts is None or request.card_channel is None:
                if self._notices.card_refused(request.id):
                    raise NoticeNotDelivered("its request's card was refused by Slack", permanent=True)
                raise NoticeNotDelivered("the card is not posted yet", retry_after=5)
            self._notifier.post_text(request.card_channel, self._words(notice), request.card_ts, offer)
        else:
            self._notifier.post_text(notice.channel, self._words(notice), None, offer)
        self._accepted.add(notice.id)

    def _words(self, notice: Notice) -> str:
        """A notice's text in its reader's language (stored untranslated: bot/support/i18n.py): a direct
        message in its person's Slack locale, anything else in the channel's (PCC_LOCALE)."""
        locale = self._settings.locale
        if notice.kind == NoticeKind.DIRECT and self._people is not None:
            locale = self._people.locale(notice.channel)
        return shown(notice.text, locale)

    def _send_about_plan(self, notice: Notice) -> None:
        assert notice.plan_id is not None
        if notice.kind == NoticeKind.CARD:
            board = self._boards.post_plan_once(notice.plan_id)
            if board is not None:
                self._queue_plan_list(board)
        elif notice.kind == NoticeKind.THREAD:
            plan = self._boards.plan_board(notice.plan_id).plan
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
            for n, text in enumerate(plan_messages.plan_list(plan), start=1)
        ]
        self._notices.queue_for_plan(plan.id, drafts, self._clock.now())

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
            self._notices.mark_failed(notice.id, str(error), now + delay)
        except StorageError as storage:
            log.error("notice %d: its delivery could not be recorded (%s)", notice.id, storage)

    def _dead_letter(self, notice: Notice, error: NoticeNotDelivered, now: datetime) -> None:
        log.error(
            "notice %d for %s dead-lettered: Slack refused it for good (%s) in %s",
            notice.id,
            notice.about,
            error,
            notice.channel,
        )
        self._notices.mark_dead(notice.id, str(error), now)
        if notice.kind == NoticeKind.CARD and notice.request_id is not None:
            self._card_refused(notice.request_id, notice, error)
        elif notice.kind == NoticeKind.CARD and notice.plan_id is not None:
            self._plan_card_refused(notice.plan_id, notice, error)
        room = self._settings.incident_channel
        if room and notice.channel != room and notice.kind != NoticeKind.INCIDENT:
            follow = f"/pcc status {notice.request_id}" if notice.request_id is not None else "/pcc list"
            text = stored(
                _(
                    ":mailbox_closed: A message about {about} could not be delivered to {channel} "
                    "({reason}); it will not be retried. Invite pcc-bot to that channel, or follow it "
                    "with {follow}.",
                    about=notice.about,
                    channel=f"<#{notice.channel}>",
                    reason=error.reason,
                    follow=f"`{follow}`",
                )
            )
            draft = NoticeDraft(NoticeKind.INCIDENT, f"dead-{notice.id}", room, text)
            if notice.request_id is not None:
                self._notices.queue(notice.request_id, draft, now)
            elif notice.plan_id is not None:
                self._notices.queue_for_plan(notice.plan_id, [draft], now)
