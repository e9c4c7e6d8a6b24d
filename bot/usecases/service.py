"""The use cases, by family, wired to their ports: what a person or the scheduler can ask of pcc-bot.

`filing` (the form, the rules), `decisions` (every click; each mutating call through the gate),
`reading` (lists, status, App Home, exports) and the scheduler's jobs below. Imports nothing from
Slack, OVHcloud or SQLite: the adapters come in through the ports. The one place that holds the whole
repository: each family is handed the members it uses (usecases/stores.py), by name.
"""

from __future__ import annotations

from bot.usecases.approvals import Approvals
from bot.usecases.chat import ChatDesk
from bot.usecases.decisions import Decisions
from bot.usecases.dispatch import Dispatch
from bot.usecases.doubt import DoubtResolver
from bot.usecases.family import Ballots, Ports
from bot.usecases.filing import Filing
from bot.usecases.gate import Gate
from bot.usecases.guard import Guard
from bot.usecases.nudges import Nudges
from bot.usecases.pause import Pausing, Switch
from bot.usecases.plan_votes import PlanVotes
from bot.usecases.plans import Plans
from bot.usecases.ports import Clock, Directory, Notifier, OvhGateway, People
from bot.usecases.reading import Reading
from bot.usecases.restore import Restores
from bot.usecases.settings import ServiceSettings
from bot.usecases.stores import PlanWork, Repository
from bot.usecases.tracking import Tracker
from bot.usecases.warm_lists import Background, WarmLists, inline


class PccService:
    def __init__(
        self,
        *,
        gateway: OvhGateway,
        repo: Repository,
        notifier: Notifier,
        directory: Directory,
        settings: ServiceSettings,
        clock: Clock,
        background: Background = inline,
        people: People | None = None,
    ) -> None:
        requests, plans, notices = repo.requests, repo.plans, repo.notices
        self.switch = Switch(repo.pause, settings, clock.now())
        work = PlanWork(requests, plans, notices)
        chat = ChatDesk(
            work,
            board_store=repo.boards,
            notifier=notifier,
            clock=clock,
            settings=settings,
            paused=self.switch.current,
            people=people,
        )
        self._chat = chat
        self.replica = settings.replica
        guard = Guard(directory, settings, self.switch)
        self.pausing = Pausing(
            repo.pause, clock, self.switch, guard, release=lambda user: self.plans.release_held(user)
        )
        self.pausing.shown = chat.refresh_plans  # this replica's boards at once; the others' at a tick
        ports = Ports(ovh=gateway, chat=chat, clock=clock)
        # Each family is handed what it uses, in the order they use each other (no cycle): doubt,
        # then decisions (which settle doubts people choose), then the tracker (which expires pending
        # requests through decisions) and plans (which dispatch through decisions).
        doubt = DoubtResolver(ports, requests=requests, settings=settings)
        ballots = Ballots(requests, repo.votes, notices)
        self.approvals = Approvals(ports, ballots, guard=guard, settings=settings)
        self.filing = Filing(
            ports,
            requests=requests,
            plans=plans,
            settings=settings,
            lists=WarmLists(background),
            guard=guard,
            approvals=self.approvals,
        )
        self.reading = Reading(
            ovh=gateway,
            requests=requests,
            plans=plans,
            audit=repo.audit,
            notifier=notifier,
            clock=clock,
            settings=settings,
            guard=guard,
            may_decide=self.approvals.may_decide,
        )
        gate = Gate(chat=chat, clock=clock, switch=self.switch)
        self.restores = Restores(ports, requests=requests, settings=settings, guard=guard)
        self.decisions = Decisions(
            ports,
            requests=requests,
            guard=guard,
            gate=gate,
            doubt=doubt,
            approvals=self.approvals,
            launchers=[self.restores],
        )
        plan_votes = PlanVotes(ports, work, repo.votes, self.approvals)
        self._nudges = Nudges(
            ports, work, guard=guard, settings=settings, approvals=self.approvals, votes=plan_votes
        )
        expire = self.decisions.expire_if_due
        self._tracker = Tracker(
            ports, requests=requests, notices=notices, settings=settings, doubt=doubt, expire=expire
        )
        dispatch = Dispatch(ports, work, settings=settings, decisions=self.decisions, switch=guard.switch)
        self.plans = Plans(
            ports,
            work,
            settings=settings,
            guard=guard,
            dispatch=dispatch,
            background=background,
            votes=plan_votes,
        )

    # ------------------------------------------------------------ the scheduler's jobs

    def poll_once(self) -> None:
        """One scheduler tick: expire, remind, track tasks, look for lost tasks, send notices, board;
        then the plans: resume dispatches, end finished plans with their summary, edit their boards."""
        self._tracker.poll_once()
        self.plans.tick()
        self._nudges.tick()  # under an approval policy: approvers told, reminded, escalated

    def reconcile(self) -> None:
        """On start: settle requests a stopped bot left between the approval and the API's answer, and
        resume the dispatch of approved plans."""
        self._tracker.reconcile()
        self.plans.tick()

    def deliver_notices(self) -> int:
        """Send what is due in the outbox."""
        return self._chat.deliver()
