"""What every mutating operation says and does, as one object per operation (``Behaviour``): the words
of its call, its refusal and its doubt, how a doubt about it is read and settled, and, for an operation
that launches a request (``Launch``: the copy, the batch restore), its card and its end.

Pure: no Slack, OVHcloud or SQL here. The use cases, the cards and the poller ask the operation's object
(``bot.domain.operations.behaviour_of``) instead of branching on which operation it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from bot.domain.inventory import StartedTask, Task
from bot.domain.policy import PolicyOperation
from bot.domain.request import MigrationRequest, NoticeButton, RequestFields
from bot.domain.states import State
from bot.support.i18n import Param, Text, _


class Reading(StrEnum):
    """How the poller reads what a call in doubt did (``usecases/doubt.py`` does the reading)."""

    DATACENTER_TASKS = "datacenter tasks"  # the destination's tasks created since the call
    COPY_GONE = "copy gone"  # the copy's datastore gone, else its own tasks
    OWN_TASK = "own task"  # the request's task, relaunched once it leaves `error`


def restore_name(request: MigrationRequest) -> str:
    """The name OVHcloud gives the copy: restore-<source datastore number>."""
    number = request.filer_name.rsplit("-", 1)[-1]
    return f"restore-{number}" if number.isdigit() else f"restore-{request.spec.filer_id:06d}"


def joined(lines: list[Text]) -> Text:
    """Texts one a line, each rendered in the reader's language."""
    return Text("\n".join(f"{{l{n}}}" for n in range(len(lines))), {f"l{n}": t for n, t in enumerate(lines)})


@dataclass(frozen=True)
class Mutation:
    """An operation's OVHcloud call as data, for the one use case that makes every such call
    (``Decisions.decide``): the route it is sent to, by its name in the gateway's table of routes
    (``bot/adapters/ovh/routes.py``: ``Route.call``), the route's parameters (OVHcloud's names) and
    its body; the audit's words for the decision (``approved``) and for the answer (``done``), what
    both are about (``detail``), and the fields the decision records with the request."""

    route: str
    params: Mapping[str, str | int]
    approved: str
    done: str
    detail: str
    body: Mapping[str, object] | None = None
    fields: RequestFields = field(default_factory=lambda: RequestFields())


class Behaviour:
    """One mutating operation's own behaviour (a line of the operations' table names its states)."""

    #: What a call in doubt means on the card.
    in_doubt_meaning: Text
    #: After a refusal: what is left, and what people can do about it.
    after_refusal: Text
    #: How the poller settles a call in doubt.
    reading: Reading = Reading.DATACENTER_TASKS
    #: Whether people may adopt one of the candidate tasks (a relaunch's task is known: no).
    adoptable: bool = True
    #: Whether another source PCC's request for a datastore with the same id makes its tasks ambiguous.
    twins: bool = False
    #: The request's field that holds the task the call created.
    task_field: ClassVar[str] = "task_id"
    #: The call's name in an approval policy (`match.operation`, PCC_POLICY): each operation says its
    #: own (a launch's is the copy's unless it says otherwise).
    policy_name: str
    #: The button a card (and a notice) offers to make this call, when it is offered (``offered``): its
    #: key (a notice's ``button``; its Slack action id is ``pcc_<key>``), its label, and the console's
    #: word for clicking it. None: the call has no button of its own (a launch: Approve).
    button: NoticeButton | None = None
    label: Text = _("Approve")
    word: str = ""
    #: What a refusal says the person may not do ("only … can <refusal> request #N").
    refusal: Text = _("approve or reject")
    #: Whether, under an approval policy, the click asks for the copy's name typed again first.
    step_up: bool = False
    #: Whether the call is about the copy the request mounted: its datastore id is read again first.
    about_copy: bool = False

    def offered(self, request: MigrationRequest) -> bool:
        """Whether the card of ``request`` (in the operation's origin state) offers the call now."""
        return False

    def subject(self, request: MigrationRequest) -> str:
        """What an approval of this call approves (its quorum counts the approvals of this subject):
        a launch's is the request's first decision."""
        return f"approve-{request.id}"

    def confirm(self, request: MigrationRequest) -> tuple[Text, Text]:
        """The button's confirm dialog: its title and what the click does to which object."""
        raise NotImplementedError

    def doing(self, request_id: int) -> Text:
        """The decision as a pause refusal names it ("… is paused: <doing> is refused")."""
        raise NotImplementedError

    def unavailable(self, request: MigrationRequest) -> str:
        """Why the call cannot be made on ``request`` now (its state, or ``offered`` said no)."""
        return f"request #{request.id} is {request.state}: {self.call(request)} is not offered now"

    def heading(self, request_id: int) -> Text:
        """The heading of the modal a click opens first (a ``step_up`` call): its button's label."""
        return _("{action}: request #{id}", action=self.label, id=request_id)

    def mutation(self, request: MigrationRequest, user: str) -> Mutation:
        """The call ``user``'s approval makes on ``request`` (one with a button; a launch's is built by
        its use case)."""
        raise NotImplementedError

    def records(self, task: StartedTask, now: datetime) -> RequestFields:
        """What the call's answer records with the request."""
        return {}

    def tracked(self, request: MigrationRequest) -> bool:
        """True when the call's task is already known (an interrupted call is then not in doubt)."""
        return False

    def task_filer(self, request: MigrationRequest) -> int | None:
        """The datastore the call's tasks name (None: they name none)."""
        return request.spec.filer_id

    def task_names(self, request: MigrationRequest) -> frozenset[str]:
        """The task names the call creates at OVHcloud (compared case-insensitively)."""
        return frozenset({request.route.lower()})

    def call(self, request: MigrationRequest) -> Text:
        """The call as people name it."""
        raise NotImplementedError

    def called(self, request: MigrationRequest, task: StartedTask, user: str) -> Text:
        """The call answered with its task: what runs now, in the request's thread."""
        raise NotImplementedError

    def checking(self, request: MigrationRequest, since: Param) -> Text:
        """What the poller reads to settle the call in doubt."""
        raise NotImplementedError

    def settled_by(self, request: MigrationRequest) -> Text:
        """A call in doubt: what people settle it with, once they have checked at OVHcloud."""
        raise NotImplementedError

    def after_close(self, request: MigrationRequest) -> Text:
        """What "Close: not started" leaves people able to do."""
        raise NotImplementedError


class Launch(Behaviour):
    """An operation whose approval launches the request: its card, its end, its words on a stall."""

    title: Text
    #: What the notice of a finished request offers (the copy's removal, by default; None: the
    #: operation leaves no copy).
    done_button: NoticeButton | None = "remove_copy"
    #: The card's words for the states whose shared words would mislead.
    labels: ClassVar[dict[State, tuple[str, Text]]] = {}
    #: The approval's confirm dialog: what the call leads to.
    confirm_note: Text
    policy_name: str = PolicyOperation.COPY

    def settled_by(self, request: MigrationRequest) -> Text:
        """A launch in doubt: its task adopted, or the request closed (or cancelled) when none started."""
        return _(
            "an approver adopts the right task from the card, or closes the request with *Close: not "
            "started* (or {cancel}) when nothing started.",
            cancel=f"`/pcc cancel {request.id}`",
        )

    def card_lines(self, request: MigrationRequest) -> Text:
        raise NotImplementedError

    def about(self, request: MigrationRequest) -> Text:
        """What OVHcloud support is told the task is about."""
        raise NotImplementedError

    def completed(self, request: MigrationRequest) -> Text:
        raise NotImplementedError

    def failed(self, request: MigrationRequest, task: Task) -> Text:
        raise NotImplementedError
