"""What `pcc-bot serve` asks OVHcloud once before it listens: does OVHcloud know these credentials?

Made-up but well-formed credentials would otherwise start a bot that fails at its first call, possibly
mid-incident. Only a refusal of the credentials themselves stops the start: an OVHcloud that cannot be
reached (an outage, a network cut) must not keep a restarting replica down, so it is logged and the bot
starts.
"""

from __future__ import annotations

import logging

import ovh.exceptions

from bot.adapters.ovh.client import make_client
from bot.domain import PccBotError
from bot.ops.config import Config

log = logging.getLogger(__name__)

#: The answers that say the credentials themselves are wrong (python-ovh's classes of OVHcloud's
#: errorCode INVALID_KEY, INVALID_CREDENTIAL, NOT_CREDENTIAL, and a 403 on /auth/details).
_REFUSALS = (
    ovh.exceptions.InvalidKey,
    ovh.exceptions.InvalidCredential,
    ovh.exceptions.NotCredential,
    ovh.exceptions.Forbidden,
)


class CredentialsRefused(PccBotError):
    """OVHcloud refused the configured credentials: serving would fail at every call."""


def check_credentials(config: Config) -> None:
    """Raise CredentialsRefused when OVHcloud refuses the credentials; otherwise return (an OVHcloud
    out of reach included, said in the log)."""
    try:
        make_client(config.ovh).get("/auth/details")
    except _REFUSALS as error:
        query = getattr(error, "query_id", None)
        said = error.args[0] if error.args else type(error).__name__
        raise CredentialsRefused(
            f"OVHcloud refused the credentials at {config.ovh.endpoint}: {said}"
            + (f" (OVH query id {query})" if query else "")
            + "; check OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY (or OVH_CLIENT_ID "
            "and OVH_CLIENT_SECRET), or run `pcc-bot doctor`"
        ) from error
    except ovh.exceptions.OAuth2FailureError as error:  # the token endpoint: a refusal, or an outage
        if "invalid_client" not in str(error) and "unauthorized_client" not in str(error):
            log.warning("OVHcloud credentials not checked at start (%s); the first call will tell", error)
            return
        raise CredentialsRefused(
            f"OVHcloud refused OVH_CLIENT_ID and OVH_CLIENT_SECRET at {config.ovh.endpoint}: {error}; check "
            "them, or run `pcc-bot doctor`"
        ) from error
    except (ovh.exceptions.APIError, OSError) as error:  # out of reach, or another answer: not a verdict
        log.warning(
            "OVHcloud credentials not checked at start (%s); the first call will tell", type(error).__name__
        )
