"""The only place that calls the Slack Web API. Retries 429/5xx/connection errors, paces posts.

Calls that create something (a channel, a message) are not retried by the client after a server
error or a lost connection, since Slack may have carried them out; queued work retries them
itself and first looks for what it already created (see `PostKey` and `adopt_channel`).
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import RetryLater
from bot.slack import text as slack_text

CREATING = ("chat.postMessage", "conversations.create", "files.completeUploadExternal")
POST_EVENT = "incidentbot_post"  # message metadata event type that carries a PostKey
LOOKBACK_PAGES = 3
# conversations.history refusals that mean "not readable by the bot", not "try again"
UNREADABLE = frozenset({"not_in_channel", "missing_scope", "channel_not_found", "access_denied"})
RETRY_JITTER_S = 0.02  # spreads retries a little without straying from Slack's Retry-After
T = TypeVar("T")


class _UnlessCreating(AsyncRetryHandler):
    """Retry like `inner`, except calls that may already have created something."""

    def __init__(self, inner: AsyncRetryHandler) -> None:
        super().__init__(
            max_retry_count=inner.max_retry_count, interval_calculator=inner.interval_calculator
        )
        self.inner = inner

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith(CREATING):
            return False
        return await self.inner._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class _RateLimited(AsyncRateLimitErrorRetryHandler):
    """Waits exactly the Retry-After Slack asks for (slack-sdk adds up to a second of jitter)."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("rate limited without an answer")
        state.next_attempt_requested = True
        values = {k.lower(): v for k, v in response.headers.items()}.get("retry-after") or ["1"]
        await asyncio.sleep(float(values[0]) + random.uniform(0, RETRY_JITTER_S))
        state.increment_current_attempt()


def make_client(
    token: str, base_url: str, *, retries: int = 3, timeout_s: float = 15.0
) -> AsyncWebClient:
    """A Web API client that honours Retry-After on 429 and retries server and network errors."""
    client = AsyncWebClient(token=token, base_url=base_url, timeout=int(max(timeout_s, 1)))
    client.retry_handlers = [
        _RateLimited(max_retry_count=retries),
        _UnlessCreating(AsyncServerErrorRetryHandler(max_retry_count=retries)),
        _UnlessCreating(AsyncConnectionErrorRetryHandler(max_retry_count=retries)),
    ]
    return client


@dataclass(frozen=True)
class PostKey:
    """Names one message a piece of queued work posts, carried in the message's metadata.

    When `may_exist` (the work ran before and may have posted it), the channel's recent history
    is searched for the key first and a found message is used instead of posting again.
    """

    key: str
    may_exist: bool = False


def retry_on_slack_failures(
    handler: Callable[[T], Awaitable[None]],
) -> Callable[[T], Awaitable[None]]:
    """Turn Slack's failures into RetryLater (with Retry-After when given) for queued work."""

    @functools.wraps(handler)
    async def wrapped(item: T) -> None:
        try:
            await handler(item)
        except SlackApiError as exc:
            headers = {
                k.lower(): v for k, v in (getattr(exc.response, "headers", None) or {}).items()
            }
            retry_after = headers.get("retry-after")
            error = exc.response.get("error") if exc.response else str(exc)
            raise RetryLater(
                f"Slack: {error}", float(retry_after) if retry_after else None
            ) from exc
        except (ClientError, TimeoutError) as exc:
            raise RetryLater(f"Slack unreachable: {exc!r}") from exc

    return wrapped


class NameTaken(Exception):
    """The channel name exists already."""


@dataclass(frozen=True)
class Channel:
    id: str
    name: str


class SlackGateway:
    """Slack operations the bot needs, in domain words."""

    def __init__(self, client: AsyncWebClient, *, min_post_interval_s: float = 1.0) -> None:
        self.client = client
        self._interval = min_post_interval_s
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last_post: dict[str, float] = {}
        self._tz: dict[str, str] = {}  # user id → time zone; zones rarely change
        self._bot_user: str | None = None

    async def create_channel(self, name: str) -> Channel:
        """Create a public channel; NameTaken when the name is in use."""
        try:
            resp = await self.client.conversations_create(name=slack_text.fit_channel_name(name))
        except SlackApiError as exc:
            if exc.response.get("error") == "name_taken":
                raise NameTaken(name) from exc
            raise
        return Channel(id=resp["channel"]["id"], name=resp["channel"]["name"])

    async def bot_user_id(self) -> str:
        """The bot's own user id (from `auth.test`, once)."""
        if self._bot_user is None:
            resp = await self.client.auth_test()
            self._bot_user = str(resp["user_id"])
        return self._bot_user

    async def adopt_channel(self, name: str) -> Channel | None:
        """The channel called `name` if this bot created it (an earlier, unanswered create)."""
        bot = await self.bot_user_id()
        cursor = None
        while True:
            resp = await self.client.conversations_list(
                types="public_channel",  # the bot creates public channels only
                exclude_archived=True,
                limit=1000,
                cursor=cursor,
            )
            for channel in resp.get("channels") or []:
                if channel.get("name") == name:
                    return Channel(channel["id"], name) if channel.get("creator") == bot else None
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def set_topic(self, channel: str, topic: str) -> None:
        """Set the channel topic."""
        await self.client.conversations_setTopic(channel=channel, topic=slack_text.fit_topic(topic))

    async def invite(self, channel: str, users: list[str]) -> list[str]:
        """Invite users one call at a time; returns those Slack refused (e.g. unknown users)."""
        refused = []
        for user_id in users:
            try:
                await self.client.conversations_invite(channel=channel, users=user_id)
            except SlackApiError as exc:
                if exc.response.get("error") not in ("already_in_channel", "cant_invite_self"):
                    refused.append(user_id)
        return refused

    async def lookup_email(self, email: str) -> str | None:
        """The user id for an email address, None when nobody has it."""
        try:
            resp = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                return None
            raise
        return str(resp["user"]["id"])

    async def display_name(self, user_id: str) -> str | None:
        """A person's full name (or display name), None when Slack does not know them."""
        try:
            resp = await self.client.users_info(user=user_id)
        except SlackApiError:
            return None
        user = resp.get("user") or {}
        profile = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or profile.get("display_name")
        return str(name) if name else None

    async def user_email(self, user_id: str) -> str | None:
        """A person's email address (needs `users:read.email`), None when Slack gives none."""
        try:
            resp = await self.client.users_info(user=user_id)
        except SlackApiError:
            return None
        email = ((resp.get("user") or {}).get("profile") or {}).get("email")
        return str(email) if email else None

    async def post(
        self,
        channel: str,
        text: str,
        blocks: list[Block] | None = None,
        *,
        once: PostKey | None = None,
    ) -> str:
        """Post a message (paced to about one a second per channel); returns its ts.

        With `once`, the message carries its key, and is not posted again if it was before.
        """
        if once is not None and once.may_exist:
            found = await self.posted(channel, [once.key])
            if once.key in found:
                return found[once.key]
        metadata = None
        if once is not None:
            metadata = {"event_type": POST_EVENT, "event_payload": {"key": once.key}}
        async with self._locks[channel]:
            await self._pace(channel)
            resp = await self.client.chat_postMessage(
                channel=channel,
                text=slack_text.fit_text(text),
                blocks=_fit_blocks(blocks),
                unfurl_links=False,
                metadata=metadata,
            )
            self._last_post[channel] = time.monotonic()
        return str(resp["ts"])

    async def posted(self, channel: str, keys: Iterable[str]) -> dict[str, str]:
        """Which of these keys the channel's recent messages carry: key → message ts.

        A channel whose history the bot cannot read (not a member, no scope) counts as carrying
        none of them.
        """
        wanted, found = set(keys), dict[str, str]()
        cursor = None
        for _ in range(LOOKBACK_PAGES):
            try:
                resp = await self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200, cursor=cursor
                )
            except SlackApiError as exc:
                if exc.response.get("error") not in UNREADABLE:
                    raise
                return found  # history the bot may not read: it cannot tell, so it posts
            for message in resp.get("messages") or []:
                meta = message.get("metadata") or {}
                key = (meta.get("event_payload") or {}).get("key")
                if meta.get("event_type") == POST_EVENT and key in wanted:
                    found.setdefault(key, str(message["ts"]))
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor or len(found) == len(wanted):
                break
        return found

    async def _pace(self, channel: str) -> None:
        last = self._last_post.get(channel)
        if last is not None:
            wait = self._interval - (time.monotonic() - last)
            if wait > 0:
                await asyncio.sleep(wait)

    async def update(self, channel: str, ts: str, text: str, blocks: list[Block]) -> None:
        """Edit a message in place."""
        await self.client.chat_update(
            channel=channel, ts=ts, text=slack_text.fit_text(text), blocks=_fit_blocks(blocks)
        )

    async def pin(self, channel: str, ts: str) -> None:
        """Pin a message (pinning twice is fine)."""
        try:
            await self.client.pins_add(channel=channel, timestamp=ts)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_pinned":
                raise

    async def dm(self, user_id: str, text: str, *, once: PostKey | None = None) -> None:
        """Send a direct message."""
        resp = await self.client.conversations_open(users=user_id)
        await self.post(resp["channel"]["id"], text, once=once)

    async def ephemeral(self, channel: str, user_id: str, text: str) -> None:
        """Show a message to one person in a channel."""
        await self.client.chat_postEphemeral(
            channel=channel, user=user_id, text=slack_text.fit_text(text)
        )

    async def try_ephemeral(self, channel: str, user_id: str, text: str) -> bool:
        """Show a message to one person if Slack lets us there (not in every DM or channel)."""
        try:
            await self.ephemeral(channel, user_id, text)
        except SlackApiError:
            return False
        return True

    async def ephemeral_blocks(
        self, channel: str, user_id: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        """Show blocks to one person in a channel."""
        await self.client.chat_postEphemeral(
            channel=channel,
            user=user_id,
            text=slack_text.fit_text(text),
            blocks=_fit_blocks(blocks),
        )

    async def open_view(self, trigger_id: str, view: View) -> str:
        """Open a modal; returns its view id."""
        resp = await self.client.views_open(trigger_id=trigger_id, view=_fit_view(view))
        return str(resp["view"]["id"])

    async def push_view(self, trigger_id: str, view: View) -> None:
        """Push a modal over the one the click came from (Back returns to it)."""
        await self.client.views_push(trigger_id=trigger_id, view=_fit_view(view))

    async def update_view(self, view_id: str, view: View) -> None:
        """Replace the content of an open modal."""
        await self.client.views_update(view_id=view_id, view=_fit_view(view))

    async def user_tz(self, user_id: str, default: str = "UTC") -> str:
        """Return a user's IANA time zone from `users.info` (cached per process)."""
        if user_id not in self._tz:
            try:
                resp = await self.client.users_info(user=user_id)
            except SlackApiError as exc:
                if exc.response.get("error") != "user_not_found":
                    raise
                return default
            self._tz[user_id] = str(resp["user"].get("tz") or default)
        return self._tz[user_id]

    async def publish_home(self, user_id: str, view: View) -> None:
        """Publish the App Home tab for a user."""
        await self.client.views_publish(user_id=user_id, view=_fit_view(view))

    async def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Fetch one top-level message by its ts; None for thread replies, which history lacks."""
        resp = await self.client.conversations_history(
            channel=channel, latest=ts, inclusive=True, limit=1
        )
        messages = [m for m in resp.get("messages") or [] if m.get("ts") == ts]
        return dict(messages[0]) if messages else None


def _fit_blocks(blocks: Sequence[Block | dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Blocks as Slack will take them: every Block Kit limit enforced (see bot.slack.text)."""
    if blocks is None:
        return None
    return slack_text.fit_message([b.to_dict() if isinstance(b, Block) else b for b in blocks])


def _fit_view(view: View | dict[str, Any]) -> dict[str, Any]:
    return slack_text.fit_view(view.to_dict() if isinstance(view, View) else view)
