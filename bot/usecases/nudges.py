"""Under an approval policy, approvers are told: each person who counts gets one direct message when a
request or a plan waits for them, a reminder once its rule's `remind_after` has passed, and the rule's
`escalate_to` people are asked once twice that time has passed. Every message is a notice in the
outbox (once per person and kind, never lost), queued by the scheduler's tick.

Part of the service layer: no Slack, OVHcloud or SQLite here, only the ports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime

from bot.domain import MigrationRequest, NoticeDraft, NoticeKind, PccBotError, Plan, PlanState, State
from bot.domain.policy import PolicyOperation, Rule
from bot.support.datetoken import date_token
from bot.support.i18n import Text, _, stored
from bot.usecases import messages
from bot.usecases.approvals import Approvals, approval_subject
from bot.usecases.family import Ports
from bot.usecases.guard import Guard
from bot.usecases.plan_votes import PlanVotes
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import PlanWork

log = logging.getLogger(__name__)


class Nudges:
    def __init__(
        self,
        ports: Ports,
        work: PlanWork,
        *,
        guard: Guard,
        settings: ServiceSettings,
        approvals: Approvals,
        votes: PlanVotes,
    ) -> None:
        self._ovh, self._chat, self._clock = ports.unpacked()
        self._requests, self._plans, self._notices = work
        self._guard, self._settings, self._approvals = guard, settings, approvals
        self._plan_rule = votes.rule  # a plan's: the strictest of its datastores'
        self._queued: set[tuple[str, str]] = set()  # (subject, key) this process queued: not again

    def _people(self, ids: Iterable[str]) -> set[str]:
        """Users listed, and the members of groups listed (as cached for what is shown)."""
        people: set[str] = set()
        for ident in ids:
            if ident.startswith("S"):
                people |= self._guard.directory.group_members(ident)
            else:
                people.add(ident)
        return people

    def tick(self) -> None:
        if self._settings.approval_policy is None:
            return
        now = self._clock.now()
        try:
            for request in self._requests.in_states([State.PENDING]):
                if (
                    request.plan_id is None and request.card_ts is not None
                ):  # a plan's item waits for its POST
                    self._request(request, now)
            for plan in self._plans.in_states([PlanState.PENDING]):
                if plan.card_ts is not None:
                    self._plan(plan, now)
        except PccBotError as error:  # OVHcloud or Slack not answering: the next tick tries again
            log.warning("approvers not told yet (%s); the next tick retries", error)
        self._chat.deliver()

    def _due(
        self, rule: Rule, requester: str, created: datetime, now: datetime, approved: set[str]
    ) -> list[tuple[str, str]]:
        """(kind, person) of every message due now: waiting, reminder, escalation."""
        counting = self._people(rule.approvers if rule.approvers is not None else self._settings.approvers)
        waiting = sorted(counting - approved - {requester})
        due = [("waiting", p) for p in waiting]
        if rule.remind_after is not None and now >= created + rule.remind_after:
            due += [("reminder", p) for p in waiting]
            if now >= created + 2 * rule.remind_after:
                due += [
                    ("escalation", p) for p in sorted(self._people(rule.escalate_to) - approved - {requester})
                ]
        return due

    @staticmethod
    def _text(kind: str, what: Text, rule: Rule, link: Text, since: datetime) -> str:
        """A direct message, stored untranslated: the outbox writes it in its person's language."""
        filed = date_token(since)
        lead = {
            "waiting": _(":inbox_tray: {what} waits for your approval", what=what),
            "reminder": _(
                ":alarm_clock: Reminder: {what} still waits for your approval (filed {filed})",
                what=what,
                filed=filed,
            ),
            "escalation": _(
                ":rotating_light: {what} has waited since {filed}; its approvers have not answered: you "
                "are asked",
                what=what,
                filed=filed,
            ),
        }[kind]
        return stored(_("{lead} (rule {rule}). See {link}.", lead=lead, rule=f"*{rule.name}*", link=link))

    def _request(self, request: MigrationRequest, now: datetime) -> None:
        rule = self._approvals.rule(request, PolicyOperation.COPY)
        if rule is None:
            return
        subject = approval_subject(request)
        tally = self._approvals.tally(request, rule, subject, fresh=False)
        approved = {a.approver for a in tally.counted}
        spec = request.spec
        what = _(
            "Request #{id} ({name} of {source} to {dest})",
            id=request.id,
            name=f"`{request.filer_name}`",
            source=spec.source_service,
            dest=spec.dest_service,
        )
        link = messages.thread_said(request)
        for draft in self._drafts(
            subject, rule, what, link, request.requester, request.created_at, now, approved
        ):
            self._notices.queue(request.id, draft, now)

    def _plan(self, plan: Plan, now: datetime) -> None:
        rule = self._plan_rule(plan)
        if rule is None:
            return
        subject = f"plan-{plan.id}"
        tally = self._approvals.tally(plan, rule, subject, fresh=False)
        approved = {a.approver for a in tally.counted}
        url = f"https://slack.com/archives/{plan.card_channel}/p{(plan.card_ts or '').replace('.', '')}"
        what = _(
            "Plan #{id} ({count} datastore(s) of {source} to {dest})",
            id=plan.id,
            count=len(plan.items),
            source=plan.source_service,
            dest=plan.dest_service,
        )
        link = _("<{url}|its card>", url=url)
        for draft in self._drafts(subject, rule, what, link, plan.requester, plan.created_at, now, approved):
            self._notices.queue_for_plan(plan.id, [draft], now)

    def _drafts(
        self,
        subject: str,
        rule: Rule,
        what: Text,
        link: Text,
        requester: str,
        since: datetime,
        now: datetime,
        approved: set[str],
    ) -> Iterator[NoticeDraft]:
        """The direct messages due about ``subject`` and not queued yet by this replica; each is marked
        queued once its caller has taken it."""
        for kind, person in self._due(rule, requester, since, now, approved):
            key = f"dm-{kind}-{person}"
            if (subject, key) in self._queued:
                continue
            yield NoticeDraft(NoticeKind.DIRECT, key, person, self._text(kind, what, rule, link, since))
            self._queued.add((subject, key))
