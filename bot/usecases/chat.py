"""Telling the chat about a change: the one path of a request's state change (compare-and-set, audit
line and notices in one transaction), then its card refreshed and the outbox delivered; and, shaped
the same, the one path of a plan's (``move_plan``: its board refreshed). The cards and
boards live in usecases/boards.py, the outbox in usecases/outbox.py; ChatDesk hands both to the
families as one desk.

Part of the service layer: it speaks to the chat only through the Notifier port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.domain import (
    MigrationRequest,
    Notice,
    NoticeButton,
    NoticeDraft,
    NoticeKind,
    NoticeNotDelivered,
    Pause,
    Plan,
    PlanState,
    State,
)
from bot.usecases.boards import Boards, ChatPorts
from bot.usecases.outbox import Outbox
from bot.usecases.ports import Change, Clock, Notifier, People, PlanBoard, PlanChange
from bot.usecases.records import BOT, require
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import BoardStore, PlanWork

log = logging.getLogger(__name__)


class ChatDesk:
    """Records a change and tells the chat about it, through its boards and its outbox."""

    def __init__(
        self,
        work: PlanWork,
        *,
        board_store: BoardStore,
        notifier: Notifier,
        clock: Clock,
        settings: ServiceSettings,
        paused: Callable[[], Pause | None] = lambda: None,
        people: People | None = None,
    ) -> None:
        requests, plans, notices = work
        self._requests, self._plans = requests, plans
        self._clock = clock
        self._settings = settings
        ports = ChatPorts(notifier, clock, settings)
        self.boards = Boards(ports, requests=requests, plans=plans, board_store=board_store, paused=paused)
        self.outbox = Outbox(
            ports,
            requests=requests,
            notices=notices,
            boards=self.boards,
            card_refused=self._withdraw_uncarded,
            plan_card_refused=self._withdraw_uncarded_plan,
            people=people,
        )

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
            moved = self._requests.amend(request.id, expected, change, now)
        else:
            moved = self._requests.transition(request.id, expected, target, change, now)
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

    def move_plan(
        self, plan: Plan, expected: PlanState, target: PlanState, change: PlanChange, *, deliver: bool = True
    ) -> bool:
        """The one path of a plan's state change, shaped as ``move``: if the plan is still ``expected``,
        record ``change`` (a transition, or an amendment when ``target`` is the same state) by
        compare-and-set with its audit line, its notices and (an approval) its datastores' requests in
        one transaction; then refresh its board and, unless ``deliver`` is False, send its notices.
        False when another change came first (nothing recorded)."""
        if not self._plans.move(plan, expected, target, change, self._clock.now()):
            log.info("plan #%d was no longer %s; %s skipped", plan.id, expected, change.action)
            return False
        log.info("plan #%d: %s (%s -> %s) %s", plan.id, change.action, expected, target, change.detail)
        self.refresh_plan(plan.id, at_once=True)
        if deliver:
            self.deliver()
        return True

    # The boards and the outbox, as the families call them.
    def refresh_card(self, request_id: int) -> None:
        self.boards.refresh_card(request_id)

    def plan_board(self, plan_id: int) -> PlanBoard:
        return self.boards.plan_board(plan_id)

    def refresh_plan(self, plan_id: int, *, at_once: bool = False) -> None:
        self.boards.refresh_plan(plan_id, at_once=at_once)

    def refresh_plans(self) -> None:
        self.boards.refresh_plans()

    def refresh_board(self) -> None:
        self.boards.refresh_board()

    def deliver(self) -> int:
        return self.outbox.deliver()

    def _withdraw_uncarded(self, request_id: int, notice: Notice, error: NoticeNotDelivered) -> None:
        """A pending request whose card Slack refused for good can never be approved: it is cancelled,
        so that its datastore can be requested again where pcc-bot can post."""
        request = require(self._requests, request_id)
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

    def _withdraw_uncarded_plan(self, plan_id: int, notice: Notice, error: NoticeNotDelivered) -> None:
        """A pending plan whose card Slack refused for good can never be approved: it is withdrawn, so
        that its datastores are released."""
        plan = self._plans.get(plan_id)
        if plan is None or plan.state != PlanState.PENDING:
            return
        change = PlanChange(
            actor=BOT,
            action="plan withdrawn",
            detail=f"its card could not be posted in {notice.channel} ({error.reason})",
        )
        self.move_plan(plan, PlanState.PENDING, PlanState.CANCELLED, change, deliver=False)  # within delivery
