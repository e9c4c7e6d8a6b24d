"""The pure domain: the request and its states, the rules, the errors, what OVHcloud has.

Nothing here knows about Slack, OVHcloud's client or SQLite. Everything is importable from here.
"""

from bot.domain.errors import *  # noqa: F403
from bot.domain.inventory import *  # noqa: F403
from bot.domain.plan import *  # noqa: F403
from bot.domain.request import *  # noqa: F403
from bot.domain.rules import *  # noqa: F403
from bot.domain.states import *  # noqa: F403
