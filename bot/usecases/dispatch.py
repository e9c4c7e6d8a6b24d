"""A plan's dispatch: each pending datastore's POST through the gate (``Decisions.launch``), under the
one rule of every mutating call, asked before each POST:

- the pause (`/pcc pause` on any replica, PCC_READ_ONLY=1): the dispatch stops there, nothing is sent,
  and the plans' tick resumes it only once pcc-bot is resumed;
- the expiry: a datastore still queued past its ``expires_at`` (set at approval from the TTL) is expired
  with its reason on the board, never sent;
- the rules, on fresh reads (not the inventory cache), when a pass of the dispatch starts and again
  every ``RULES_FRESH_FOR`` while it runs:
  a destination that lost HDS or PCI-DSS meanwhile gets nothing, and
  each datastore still queued is cancelled with the rule's words on the board;
- ``SAME_REFUSALS`` identical refusals in a row (the same OVHcloud error, a missing IAM right say):
  the dispatch stops, says so once in the plan's thread and the incident room, and holds the rest
  queued until an approver sends them (`/pcc resume`) or cancels them (Cancel the rest).

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain import (
    BudgetSpent,
    MigrationRequest,
    OvhApiError,
    Paused,
    PccBotError,
    Plan,
    State,
)
from bot.support import i18n
from bot.support.i18n import _, _n
from bot.usecases.decisions import Decisions
from bot.usecases.family import Ports
from bot.usecases.filed import pair_problems
from bot.usecases.pause import Switch
from bot.usecases.ports import Change
from bot.usecases.records import BOT, require
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import PlanWork

log = logging.getLogger(__name__)

#: The rules are read again (fresh) when a dispatch has run this long since they were last read.
RULES_FRESH_FOR = timedelta(seconds=60)
#: Identical refusals in a row that stop a dispatch.
SAME_REFUSALS = 3
#: What a datastore held by a stopped dispatch carries in ``last_error`` (the board shows it).
HELD = "held: "
_QUERY_ID = re.compile(r" \(OVH query id [^)]*\)")


def held(request: MigrationRequest) -> bool:
    """A queued datastore a stopped dispatch holds until a person sends or cancels it."""
    return request.state == State.PENDING and (request.last_error or "").startswith(HELD)


def _refusal(request: MigrationRequest) -> str | None:
    """A refused POST's error, without its query id (each call has its own): the same refusal twice
    compares equal."""
    if request.state != State.FAILED or not request.last_error:
        return None
    return _QUERY_ID.sub("", request.last_error)


class Dispatch:
    """Sends the POSTs of one approved plan's queued datastores, asking the pause, the expiry and the
    rules before each."""

    def __init__(
        self,
        ports: Ports,
        work: PlanWork,
        *,
        settings: ServiceSettings,
        decisions: Decisions,
        switch: Switch | None,
    ) -> None:
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests, self._plans, self._notices = work
        self._settings = settings
        self._decisions = decisions
        self._switch = switch

    def paused(self) -> bool:
        return self._switch is not None and self._switch.current() is not None

    def sendable(self, items: Sequence[MigrationRequest]) -> list[MigrationRequest]:
        return [i for i in items if i.state == State.PENDING and not held(i)]

    def run(self, plan: Plan) -> None:
        """One pass over the plan's queued datastores, in order, until each is sent or the pass stops
        (paused, budget, repeated refusals)."""
        queued = self.sendable(self._plans.items(plan.id))
        if not queued or self.paused():
            return
        stopped: list[tuple[int, str]] = []  # datastores expired or refused by a rule, and why
        try:
            self._pass(plan, queued, stopped)
        finally:
            if stopped:
                self._tell_stopped(plan, stopped)

    def _pass(self, plan: Plan, queued: list[MigrationRequest], stopped: list[tuple[int, str]]) -> None:
        # The rules on fresh reads when a pass starts (the approval's check used the inventory cache),
        # and again every minute while it runs.
        rules_read: datetime | None = None
        problems: list[str] = []
        last, streak = None, 0  # the last refusal, and how many times in a row
        for item in queued:
            now = self._clock.now()
            if rules_read is None or now - rules_read >= RULES_FRESH_FOR:
                problems, rules_read = self._rules(plan), now
            if now >= item.expires_at:
                at = f"{item.expires_at:%Y-%m-%d %H:%M}"
                why = _("not sent before {at} UTC: the approval expired", at=at)
                stopped.append(self._stop(item, State.EXPIRED, why))
                continue
            if problems:
                why = _("not sent: {rules}", rules="; ".join(problems))
                stopped.append(self._stop(item, State.CANCELLED, why))
                continue
            if not self._send(plan, item):
                return
            refusal = _refusal(require(self._requests, item.id))
            streak = streak + 1 if refusal is not None and refusal == last else int(refusal is not None)
            last = refusal
            if refusal is not None and streak >= SAME_REFUSALS:
                self._hold(plan, refusal)
                return

    def _rules(self, plan: Plan) -> list[str]:
        """The pair's rules on fresh reads; a read that fails stops nothing (the POST is judged by
        OVHcloud), it is logged."""
        ovh = self._ovh
        try:
            source = ovh.get_pcc(plan.source_service, fresh=True)
            dest = ovh.get_pcc(plan.dest_service, fresh=True)
            found = pair_problems(ovh, self._settings.policy, source, dest, fresh=True)
        except PccBotError as error:
            log.warning("plan #%d: the rules could not be read again (%s); OVHcloud judges", plan.id, error)
            return []
        return [str(text) for _field, text in found]  # audit and board text: the channel's English

    def _send(self, plan: Plan, item: MigrationRequest) -> bool:
        """False when the pass stops here (paused, or no budget place): the tick resumes it."""
        decision = Change(actor=BOT, action="dispatched", detail=f"plan #{plan.id}")
        try:
            self._decisions.launch(item, decision)
        except (Paused, BudgetSpent) as error:  # not sent, back to pending
            log.warning("plan #%d: dispatch stopped at request #%d: %s", plan.id, item.id, error)
            return False
        except OvhApiError as error:  # this datastore only: the others go on
            log.error("plan #%d: request #%d not dispatched: %s", plan.id, item.id, error)
        except PccBotError as error:
            log.error("plan #%d: request #%d not dispatched: %s", plan.id, item.id, error)
        return True

    def _stop(self, item: MigrationRequest, target: State, why: i18n.Text) -> tuple[int, str]:
        reason = str(why)
        change = Change(
            actor=BOT,
            action=target.value,
            detail=f"plan #{item.plan_id}: {reason}",
            fields={"decided_by": BOT, "decided_at": self._clock.now(), "last_error": reason},
        )
        self._chat.move(item, State.PENDING, target, change, deliver=False)
        return item.id, reason

    def _tell_stopped(self, plan: Plan, stopped: list[tuple[int, str]]) -> None:
        """One notice for a pass's datastores not sent (expired, refused by a rule), with the first
        reason; each one's own is on its line of the board."""
        said = _n(
            ":warning: Plan #{plan}: {count} datastore not sent ({why}); its line on the board says why.",
            ":warning: Plan #{plan}: {count} datastores not sent ({why}); each line on the board says why.",
            len(stopped),
            plan=plan.id,
            why=stopped[0][1],
        )
        notices = self._chat.thread_and_room(plan.channel, f"not-sent-{stopped[0][0]}", i18n.stored(said))
        self._notices.queue_for_plan(plan.id, notices, self._clock.now())

    def _hold(self, plan: Plan, refusal: str) -> None:
        """Stop after identical refusals: every datastore still queued held, said once."""
        rest = self.sendable(self._plans.items(plan.id))
        for item in rest:
            change = Change(
                actor=BOT,
                action="held",
                detail=f"plan #{plan.id}: {SAME_REFUSALS} identical refusals: {refusal}",
                fields={"last_error": f"{HELD}{SAME_REFUSALS} identical refusals in a row"},
            )
            self._chat.move(item, State.PENDING, State.PENDING, change, deliver=False)
        said = _n(
            ":octagonal_sign: Plan #{plan}: dispatch stopped after {refusals} identical refusals from "
            "OVHcloud ({refusal}); {count} datastore is held, not sent. Fix the cause, then an approver "
            "sends it with `/pcc resume`, or cancels it with Cancel the rest on the board.",
            ":octagonal_sign: Plan #{plan}: dispatch stopped after {refusals} identical refusals from "
            "OVHcloud ({refusal}); {count} datastores are held, not sent. Fix the cause, then an approver "
            "sends them with `/pcc resume`, or cancels them with Cancel the rest on the board.",
            len(rest),
            plan=plan.id,
            refusals=SAME_REFUSALS,
            refusal=refusal,
        )
        key = f"held-{min((i.id for i in rest), default=0)}"
        notices = self._chat.thread_and_room(plan.channel, key, i18n.stored(said))
        self._notices.queue_for_plan(plan.id, notices, self._clock.now())
        log.warning(
            "plan #%d: dispatch stopped after %d identical refusals: %s", plan.id, SAME_REFUSALS, refusal
        )

    def release(self, plans: Sequence[Plan], user: str) -> int:
        """`/pcc resume`: the datastores held by stopped dispatches are queued again; how many."""
        released = 0
        for plan in plans:
            for item in self._plans.items(plan.id):
                if held(item):
                    change = Change(
                        actor=user, action="released", detail=f"plan #{plan.id}", fields={"last_error": None}
                    )
                    released += self._chat.move(item, State.PENDING, State.PENDING, change, deliver=False)
        return released
