"""Slash command and action ids: shared by the builders, the handlers and the manifest test; what
each button names (``CLICKS``): the handlers and the console read it from here."""

from dataclasses import dataclass

from bot.domain import Operation
from bot.domain.operations import behaviour_of, with_buttons
from bot.domain.policy import Verdict

COMMAND = "/pcc"
APPROVE = "pcc_approve"
REJECT = "pcc_reject"


def action_id(button: str) -> str:
    """The action id of an operation's button (``Behaviour.button``)."""
    return f"pcc_{button}"


#: Each operation's button (Retry, Remove copy, …: ``Behaviour.button``) and the operation it calls.
CALL_BUTTONS: dict[str, Operation] = {action_id(key): op for key, op in with_buttons().items()}
RETRY = action_id("retry")
REMOVE_COPY = action_id("remove_copy")
#: A call in doubt: adopt one candidate task (value "requestId:episode:taskId"), or close it as not
#: started ("requestId:episode"); the episode names the call, so a button of an earlier one does nothing.
ADOPT = "pcc_adopt"
CLOSE_NOT_STARTED = "pcc_close_not_started"

#: A plan's board: one decision for every datastore of it, and stopping what is not sent yet.
APPROVE_PLAN = "pcc_approve_plan"
REJECT_PLAN = "pcc_reject_plan"
CANCEL_PLAN_REST = "pcc_cancel_plan_rest"


@dataclass(frozen=True)
class Click:
    """What a button names beyond its id: the console's word for clicking it, what a click may ask in
    a modal first under an approval policy (a verdict's reason; an operation whose call asks its
    step-up: the datastore's name typed again), and whether its value is a plan's id (else a
    request's)."""

    word: str
    asks: Verdict | Operation | None = None
    of_plan: bool = False


def _call_click(operation: Operation) -> Click:
    own = behaviour_of(operation)
    return Click(own.word, operation if own.step_up else None)


#: Every button, once.
CLICKS = {
    APPROVE: Click("approve", Verdict.APPROVE),
    REJECT: Click("reject", Verdict.REJECT),
    **{action: _call_click(operation) for action, operation in CALL_BUTTONS.items()},
    ADOPT: Click("adopt"),
    CLOSE_NOT_STARTED: Click("close"),
    APPROVE_PLAN: Click("approve-plan", Verdict.APPROVE, of_plan=True),
    REJECT_PLAN: Click("reject-plan", Verdict.REJECT, of_plan=True),
    CANCEL_PLAN_REST: Click("cancel-rest", of_plan=True),
}
ACTIONS = tuple(CLICKS)
#: The buttons that make or settle OVHcloud calls: each asks for confirmation wherever it is posted.
CONFIRMED = frozenset({APPROVE, *CALL_BUTTONS, ADOPT, CLOSE_NOT_STARTED, APPROVE_PLAN, CANCEL_PLAN_REST})

#: The modal a click opens when the approval policy asks for a reason (Approve, Reject) or, for Remove
#: copy, the datastore's name typed again; its one text input's block and action id.
REASON_FORM = "pcc_reason_form"
REASON_INPUT = "pcc_reason"

#: The `/pcc migrate` modal's callback id (its fields: bot/adapters/slack/forms.py, FormField).
MIGRATE_FORM = "pcc_migrate_form"
#: The `/pcc restore` modal's callback id (its fields: RestoreFormField in forms.py).
RESTORE_FORM = "pcc_restore_form"

#: Bot scopes the code needs (manifest.yml must list exactly these; a test checks it).
SLACK_SCOPES = frozenset(
    {
        "commands",  # the /pcc slash command
        "chat:write",  # cards and notices: chat.postMessage, chat.update
        "chat:write.public",  # post in the incident room without an invitation
        "usergroups:read",  # approver user groups: usergroups.users.list
        "users:read",  # users.info: a person's locale; doctor: approver user ids exist
        "channels:read",  # doctor: the incident channel exists (conversations.info)
        "files:write",  # /pcc audit and `/pcc filers … csv` upload a CSV (files_upload_v2)
        "im:write",  # ... to the asker's direct messages (conversations.open)
    }
)
