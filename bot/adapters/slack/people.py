"""A person's language, from their Slack profile: what only they see is written in it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.support.i18n import locale_of

log = logging.getLogger(__name__)

#: A person's locale is read again once a day (they may change it in Slack).
LOCALE_TTL_SECONDS = 86_400.0
#: After users.info failed, the fallback is used this long before asking again.
RETRY_SECONDS = 60.0


class SlackPeople:
    """Each person's locale (``users.info`` with ``include_locale``: ``fr-FR`` is ``fr``), cached and
    refreshed daily; ``fallback`` (PCC_LOCALE) for a language pcc-bot does not speak, or when Slack
    cannot say."""

    def __init__(
        self,
        client: WebClient,
        fallback: str,
        ttl_seconds: float = LOCALE_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._fallback = fallback
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def known(self, user: str | None) -> str:
        """The person's locale as cached, else the fallback: never a call to Slack (for an answer Slack
        wants within 3 s; the command that opened the form has read it)."""
        with self._lock:
            cached = self._cache.get(user or "")
        return cached[1] if cached else self._fallback

    def locale(self, user: str | None) -> str:
        if not user:
            return self._fallback
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(user)
            if cached and now < cached[0]:
                return cached[1]
        try:
            response = self._client.users_info(user=user, include_locale=True)
            profile = response.get("user") or {}
            found, until = locale_of(profile.get("locale"), self._fallback), now + self._ttl
        except SlackApiError as error:
            if error.response.status_code != 200:  # rate limited, Slack unwell: ask again soon
                log.warning(
                    "could not read the locale of %s (%s): answering in %s", user, error, self._fallback
                )
                found, until = self._fallback, now + RETRY_SECONDS
            else:  # Slack's answer (user_not_found...): a day, like any other
                log.info("Slack gives no locale for %s (%s): answering in %s", user, error, self._fallback)
                found, until = self._fallback, now + self._ttl
        except (SlackClientError, OSError) as error:
            log.warning("could not read the locale of %s (%s): answering in %s", user, error, self._fallback)
            found, until = self._fallback, now + RETRY_SECONDS
        with self._lock:
            self._cache[user] = (until, found)
        return found
