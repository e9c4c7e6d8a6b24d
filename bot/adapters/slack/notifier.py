"""Slack Web API adapters: the Notifier (cards and notices) and the Directory (user groups)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.adapters.slack.cards import board_message, card_message, notice_blocks
from bot.adapters.slack.plan_cards import plan_message
from bot.domain import MigrationRequest, NoticeNotDelivered, PccBotError
from bot.support import waits
from bot.support.cache import ReadCache
from bot.support.i18n import DEFAULT_LOCALE
from bot.usecases.ports import Board, MessageRef, Offer, PlanBoard

#: Slack errors that sending the same message again cannot cure: the notice is dead-lettered (an edit
#: is not tried again until what it shows changes). msg_blocks_too_long is undocumented (a message's
#: blocks carry too much text in total): the builders keep under it (kit.fitted), and it is never retried.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "invalid_arguments",
        "invalid_attachments",
        "no_text",
        "restricted_action",
        "cannot_reply_to_message",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "too_many_attachments",
    }
)


def _not_delivered(error: Exception) -> NoticeNotDelivered:
    if isinstance(error, SlackApiError):
        response = error.response
        retry_after = None
        if response.status_code == 429:
            header = response.headers.get("Retry-After") or response.headers.get("retry-after")
            retry_after = waits.retry_after(header, default=30.0)
        code = response.get("error")
        return NoticeNotDelivered(
            f"Slack answered {response.status_code} {code}",
            retry_after=retry_after,
            permanent=code in PERMANENT_ERRORS,
        )
    return NoticeNotDelivered(f"Slack unreachable: {error}")


#: Every message is taken as written: Slack links and mentions only what our `<…>` markup says (the
#: blocks' mrkdwn is verbatim too, bot/adapters/slack/kit.py), and unfurls nothing.
AS_WRITTEN: dict[str, Any] = {"parse": "none", "link_names": False}
POSTED_AS_WRITTEN: dict[str, Any] = {**AS_WRITTEN, "unfurl_links": False, "unfurl_media": False}


class SlackNotifier:
    """The Notifier port over chat.postMessage / chat.update; what a channel sees is written in
    ``locale`` (PCC_LOCALE)."""

    def __init__(self, client: WebClient, locale: str = DEFAULT_LOCALE) -> None:
        self._client = client
        self._locale = locale

    def _send(self, call: Callable[[], object]) -> MessageRef:
        try:
            response = call()
        except (SlackClientError, OSError) as error:
            raise _not_delivered(error) from error
        data = getattr(response, "data", {})
        assert isinstance(data, dict)
        return MessageRef(channel=str(data.get("channel", "")), ts=str(data.get("ts", "")))

    def post_card(self, request: MigrationRequest, paused: str = "") -> MessageRef:
        text, blocks = card_message(request, self._locale, paused)
        return self._send(
            lambda: self._client.chat_postMessage(
                channel=request.channel, text=text, blocks=blocks, **POSTED_AS_WRITTEN
            )
        )

    def update_card(self, request: MigrationRequest, paused: str = "") -> None:
        if request.card_channel is None or request.card_ts is None:
            return
        text, blocks = card_message(request, self._locale, paused)
        channel, ts = request.card_channel, request.card_ts
        self._send(
            lambda: self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks, **AS_WRITTEN)
        )

    def upload_private(self, user: str, filename: str, content: str, comment: str) -> None:
        """A file in the person's direct messages with the bot: nobody else sees it."""
        try:
            opened = self._client.conversations_open(users=user)
        except (SlackClientError, OSError) as error:
            raise _not_delivered(error) from error
        channel = str((opened.get("channel") or {}).get("id") or "")
        self._send(
            lambda: self._client.files_upload_v2(
                channel=channel, filename=filename, content=content, title=filename, initial_comment=comment
            )
        )

    def post_board(self, channel: str, board: Board) -> MessageRef:
        text, blocks = board_message(board, self._locale)
        return self._send(
            lambda: self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, **POSTED_AS_WRITTEN
            )
        )

    def post_plan(self, board: PlanBoard) -> MessageRef:
        text, blocks = plan_message(board, self._locale)
        channel = board.plan.channel
        return self._send(
            lambda: self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, **POSTED_AS_WRITTEN
            )
        )

    def update_plan(self, board: PlanBoard) -> None:
        plan = board.plan
        if plan.card_channel is None or plan.card_ts is None:
            return
        channel, ts = plan.card_channel, plan.card_ts
        text, blocks = plan_message(board, self._locale)
        self._send(
            lambda: self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks, **AS_WRITTEN)
        )

    def update_board(self, ref: MessageRef, board: Board) -> None:
        text, blocks = board_message(board, self._locale)
        self._send(
            lambda: self._client.chat_update(
                channel=ref.channel, ts=ref.ts, text=text, blocks=blocks, **AS_WRITTEN
            )
        )

    def post_text(
        self, channel: str, text: str, thread_ts: str | None = None, offer: Offer | None = None
    ) -> MessageRef:
        blocks = notice_blocks(text, *offer, self._locale) if offer else None
        return self._send(
            lambda: self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, **POSTED_AS_WRITTEN
            )
        )


class SlackDirectory:
    """The Directory port over usergroups.users.list, cached a minute (Slack tier 2) for what is only
    shown; decisions read it fresh (``fresh``), so that someone removed from the group no longer
    decides: decisions asking at the same moment share one read, and a 429 is retried as Retry-After
    asks, a few times and for a bounded wait."""

    ATTEMPTS = 3
    MAX_WAIT = 10.0

    def __init__(
        self,
        client: WebClient,
        ttl_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._sleep = sleep
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()
        self._reading = ReadCache(ttl_seconds=0.0)  # nothing kept: reads in flight shared

    def group_members(self, group_id: str, *, fresh: bool = False) -> frozenset[str]:
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(group_id)
            if cached and now - cached[0] < self._ttl and not fresh:
                return cached[1]
        response = self._reading.get(group_id, lambda: self._read(group_id))
        members = frozenset(str(u) for u in response.get("users") or [])
        with self._lock:
            self._cache[group_id] = (now, members)
        return members

    def _read(self, group_id: str) -> Any:
        for attempt in range(1, self.ATTEMPTS + 1):
            try:
                return self._client.usergroups_users_list(usergroup=group_id)
            except SlackApiError as error:
                if error.response.status_code != 429 or attempt == self.ATTEMPTS:
                    raise self._unread(group_id, error) from error
                wait = waits.retry_after(error.response.headers.get("Retry-After"), 1.0) or 0.0
                self._sleep(min(wait, self.MAX_WAIT))
            except (SlackClientError, OSError) as error:
                raise self._unread(group_id, error) from error
        raise AssertionError("unreachable")

    @staticmethod
    def _unread(group_id: str, error: Exception) -> PccBotError:
        return PccBotError(f"could not read the members of user group {group_id}: {error}")
