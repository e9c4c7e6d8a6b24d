"""The pure domain: the request and its states, the rules, the errors, what OVHcloud has.

Nothing here knows about Slack, OVHcloud's client or SQLite. What the other rings use is exported here,
by name, each once: ``import Y as Y`` is the explicit re-export mypy --strict and ruff read, so no
``__all__`` repeats the list (estimate.py and polling.py are imported as modules of their own).
"""

from bot.domain.errors import NOT_AN_OPTION as NOT_AN_OPTION
from bot.domain.errors import BudgetSpent as BudgetSpent
from bot.domain.errors import Conflict as Conflict
from bot.domain.errors import Field as Field
from bot.domain.errors import NotAllowed as NotAllowed
from bot.domain.errors import NotFound as NotFound
from bot.domain.errors import NoticeNotDelivered as NoticeNotDelivered
from bot.domain.errors import OvhApiError as OvhApiError
from bot.domain.errors import OvhNotFound as OvhNotFound
from bot.domain.errors import PccBotError as PccBotError
from bot.domain.errors import RuleViolation as RuleViolation
from bot.domain.errors import StorageError as StorageError
from bot.domain.errors import UsageError as UsageError
from bot.domain.inventory import COPY_FILER_CONSENT as COPY_FILER_CONSENT
from bot.domain.inventory import TASK_DONE as TASK_DONE
from bot.domain.inventory import TASK_FAILED_STATES as TASK_FAILED_STATES
from bot.domain.inventory import TASK_STATE_MEANINGS as TASK_STATE_MEANINGS
from bot.domain.inventory import Certifications as Certifications
from bot.domain.inventory import CopyStatus as CopyStatus
from bot.domain.inventory import Datacenter as Datacenter
from bot.domain.inventory import DatacenterFilers as DatacenterFilers
from bot.domain.inventory import Filer as Filer
from bot.domain.inventory import FilerListing as FilerListing
from bot.domain.inventory import Pcc as Pcc
from bot.domain.inventory import StartedTask as StartedTask
from bot.domain.inventory import Task as Task
from bot.domain.pause import READ_ONLY_SWITCH as READ_ONLY_SWITCH
from bot.domain.pause import Pause as Pause
from bot.domain.pause import Paused as Paused
from bot.domain.plan import LeftOut as LeftOut
from bot.domain.plan import Plan as Plan
from bot.domain.plan import PlanDraft as PlanDraft
from bot.domain.plan import PlanItem as PlanItem
from bot.domain.plan import PlanState as PlanState
from bot.domain.plan import PlanTally as PlanTally
from bot.domain.plan import check_plan_transition as check_plan_transition
from bot.domain.request import CLOCK_MARGIN as CLOCK_MARGIN
from bot.domain.request import AuditEntry as AuditEntry
from bot.domain.request import Datastore as Datastore
from bot.domain.request import Filed as Filed
from bot.domain.request import MigrationApi as MigrationApi
from bot.domain.request import MigrationRequest as MigrationRequest
from bot.domain.request import MigrationSpec as MigrationSpec
from bot.domain.request import Notice as Notice
from bot.domain.request import NoticeButton as NoticeButton
from bot.domain.request import NoticeDraft as NoticeDraft
from bot.domain.request import NoticeKind as NoticeKind
from bot.domain.request import Recorded as Recorded
from bot.domain.request import RequestDraft as RequestDraft
from bot.domain.request import RequestFields as RequestFields
from bot.domain.request import task_read as task_read
from bot.domain.rules import COPY_FILER_SITES as COPY_FILER_SITES
from bot.domain.rules import ZonePolicy as ZonePolicy
from bot.domain.rules import rule_violations as rule_violations
from bot.domain.states import ACTIVE_STATES as ACTIVE_STATES
from bot.domain.states import COPIED_STATES as COPIED_STATES
from bot.domain.states import IN_DOUBT_STATES as IN_DOUBT_STATES
from bot.domain.states import IN_FLIGHT_STATES as IN_FLIGHT_STATES
from bot.domain.states import MIGRATION as MIGRATION
from bot.domain.states import OPERATIONS as OPERATIONS
from bot.domain.states import RELAUNCH as RELAUNCH
from bot.domain.states import REMOVAL as REMOVAL
from bot.domain.states import RESTORE as RESTORE
from bot.domain.states import STATE_WORDS as STATE_WORDS
from bot.domain.states import TRANSITIONS as TRANSITIONS
from bot.domain.states import Operation as Operation
from bot.domain.states import State as State
from bot.domain.states import can_transition as can_transition
from bot.domain.states import check_transition as check_transition
from bot.domain.states import operation_calling as operation_calling
from bot.domain.states import operation_in_doubt as operation_in_doubt
