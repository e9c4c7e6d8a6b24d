"""Cards and boards: a request's card, a plan's board (edited at most every few seconds while its
datastores move), and the incident room's board, each edited only when what it shows changed.

Part of the service layer: it speaks to the chat only through the Notifier port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.domain import (
    ACTIVE_STATES,
    COPIED_STATES,
    IN_FLIGHT_STATES,
    MigrationRequest,
    NotFound,
    NoticeNotDelivered,
    Pause,
    PlanState,
    State,
    StorageError,
)
from bot.usecases.ports import Board, Clock, MessageRef, Notifier, PlanBoard
from bot.usecases.records import require
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import BoardStore, PlanStore, RequestStore

log = logging.getLogger(__name__)

#: The cards that say when pcc-bot is paused: those whose next step is a mutating call.
_PAUSE_SHOWN = ACTIVE_STATES | {State.FAILED}
#: A plan's board is edited at most this often while its datastores move (Slack's chat.update is tier 3).
PLAN_EDIT_EVERY = timedelta(seconds=3)


class ChatPorts(NamedTuple):
    """What the desk's rooms (the boards, the outbox: usecases/chat.py) share, unpacked by each; each is
    handed the repository's members it uses by name."""

    notifier: Notifier
    clock: Clock
    settings: ServiceSettings


class Boards:
    """Posts and edits what stands in a channel: request cards, plan boards, the incident board."""

    def __init__(
        self,
        ports: ChatPorts,
        *,
        requests: RequestStore,
        plans: PlanStore,
        board_store: BoardStore,
        paused: Callable[[], Pause | None] = lambda: None,
    ) -> None:
        """``paused``: the pause in force (usecases/pause.py), which every board shows."""
        self._notifier, self._clock, self._settings = ports
        self._requests, self._plans, self._board_store = requests, plans, board_store
        self._paused = paused
        self._paused_shown = ""  # what the boards said of the pause when last refreshed
        self._unsaved_cards: dict[int, MessageRef] = {}  # cards posted whose ts is not stored yet
        self._unsaved_plans: dict[int, MessageRef] = {}  # plan boards posted whose ts is not stored yet
        self._plan_edits: dict[int, datetime] = {}  # when each plan's board was last edited
        self._plan_digests: dict[int, str] = {}  # what it showed then
        self._plans_due: set[int] = set()  # plans whose board waits for its next edit

    def refresh_card(self, request_id: int) -> None:
        request = require(self._requests, request_id)
        if request.plan_id is not None:
            self.refresh_plan(request.plan_id)  # a plan's datastore: its card is the plan's board
            return
        if request.card_ts is None:
            return  # the card is still queued; it will be posted with the current state
        try:
            self._notifier.update_card(request, self._card_paused(request))
        except NoticeNotDelivered as error:
            log.warning("request #%d: card not updated (%s); the next change retries", request_id, error)
            return
        self._requests.update_fields(request_id, {"card_updated_at": self._clock.now()}, self._clock.now())

    def post_card_once(self, request: MigrationRequest) -> None:
        """A request has one live card: a card Slack accepted whose ts could not be stored is not
        posted again; storing its ts is retried instead."""
        if request.card_ts is not None:
            return
        ref = self._unsaved_cards.get(request.id) or self._notifier.post_card(
            request, self._card_paused(request)
        )
        self._unsaved_cards[request.id] = ref
        try:
            self._requests.set_card(request.id, ref.channel, ref.ts)
        except StorageError as error:
            raise NoticeNotDelivered(f"card posted, its ts not stored yet: {error}", retry_after=5) from error
        del self._unsaved_cards[request.id]

    def plan_board(self, plan_id: int) -> PlanBoard:
        plan = self._plans.get(plan_id)
        if plan is None:
            raise NotFound(f"plan #{plan_id} not found")
        live = plan.state in (PlanState.PENDING, PlanState.APPROVED)
        paused = self.paused_words() if live else ""
        return PlanBoard(plan, tuple(self._plans.items(plan_id)), self._clock.now(), paused)

    def post_plan_once(self, plan_id: int) -> PlanBoard | None:
        """Post a plan's board unless it stands already; the board posted, or None. Like a request's
        card: a board Slack accepted whose ts could not be stored is not posted again (its live buttons
        would stand twice); storing its ts is retried instead."""
        board = self.plan_board(plan_id)
        if board.plan.card_ts is not None:
            return None
        ref = self._unsaved_plans.get(plan_id) or self._notifier.post_plan(board)
        self._unsaved_plans[plan_id] = ref
        try:
            self._plans.set_card(plan_id, ref.channel, ref.ts)
        except StorageError as error:
            raise NoticeNotDelivered(
                f"board posted, its ts not stored yet: {error}", retry_after=5
            ) from error
        del self._unsaved_plans[plan_id]
        self._plan_edits[plan_id] = self._clock.now()
        self._plan_digests[plan_id] = board.digest()
        return board

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

    def _card_paused(self, request: MigrationRequest) -> str:
        """What a card whose next step is a mutating call (approve, retry) says of the pause."""
        return self.paused_words() if request.state in _PAUSE_SHOWN else ""

    def paused_words(self) -> str:
        """What the boards say of the pause (empty: not paused), in the channel's language."""
        pause = self._paused()
        return pause.words(markup=True).render(self._settings.locale) if pause else ""

    def refresh_plans(self) -> None:
        """The boards waiting for their next edit; every live board when the pause began or ended
        (on this replica or another: read at each tick)."""
        paused = self.paused_words()
        if paused != self._paused_shown:
            self._paused_shown = paused
            live = self._plans.in_states([PlanState.PENDING, PlanState.APPROVED])
            self._plans_due.update(plan.id for plan in live)
            self.refresh_board()
            for request in self._requests.in_states(sorted(_PAUSE_SHOWN)):
                if request.plan_id is None:  # a plan's datastores: its board says it
                    self.refresh_card(request.id)
        for plan_id in sorted(self._plans_due):
            self.refresh_plan(plan_id, at_once=True)

    def refresh_board(self) -> None:
        """Post the incident-room board once, then edit it whenever what it shows changes."""
        channel = self._settings.incident_channel
        if not channel:
            return
        counts = self._requests.count_by_state()
        active = self._requests.in_states(sorted(IN_FLIGHT_STATES))
        board = Board(
            active=tuple(active),
            done=sum(counts.get(s.value, 0) for s in COPIED_STATES),
            failed=counts.get(State.FAILED.value, 0),
            paused=self.paused_words(),
        )
        saved = self._board_store.get(channel)
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
        self._board_store.save(channel, ref.ts, board.digest(), self._clock.now())
