"""The fake workspace's state and the lookups every Web API method shares."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.sandbox.slack.args import Args
from bot.sandbox.slack.model import (
    APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    JSON,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Canvas,
    Channel,
    Ephemeral,
    File,
    Message,
    PacingViolation,
    ResponsePost,
    ResponseUrl,
    SlackError,
    Trigger,
    User,
    View,
)

Handler = Callable[["Workspace", Args], JSON]

DEFAULT_USERS = (
    ("U_ALICE", "alice", "alice@example.com", "Alice Archer", "Europe/London"),
    ("U_BOB", "bob", "bob@example.com", "Bob Baker", "America/New_York"),
    ("U_CAROL", "carol", "carol@example.com", "Carol Chen", "Asia/Singapore"),
    ("U_DAVE", "dave", "dave@example.com", "Dave Diaz", "Europe/Berlin"),
)


@dataclass
class Settings:
    """Who the bot is and how strict the fake is."""

    team_id: str = TEAM_ID
    team_name: str = TEAM_NAME
    team_domain: str = TEAM_DOMAIN
    app_id: str = APP_ID
    bot_user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    bot_name: str = BOT_NAME
    client_id: str = "1000000001.2000000002"  # the app's, for Sign in with Slack
    client_secret: str = "fake-client-secret"
    trigger_ttl_s: float = 3.0
    min_post_interval_s: float | None = 1.0
    public_post_without_join: bool = False
    # The workspace's plan: Slack answers this to channel canvases on a tier without them.
    canvas_error: str | None = None
    upload_base: str = "https://files.slack.com"  # where upload URLs point (the fake itself)


@dataclass
class Workspace:
    """Everything the fake remembers between calls."""

    settings: Settings = field(default_factory=Settings)
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    messages: dict[str, list[Message]] = field(default_factory=dict)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    views: dict[str, View] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)
    responses: list[ResponsePost] = field(default_factory=list)
    pacing: list[PacingViolation] = field(default_factory=list)
    canvases: dict[str, Canvas] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    last_post: dict[str, float] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _last_ts_us: int = 0

    @property
    def bot(self) -> str:
        """Return the bot's user id, the identity every API call acts as."""
        return self.settings.bot_user_id

    def new_id(self, prefix: str) -> str:
        """Return a fresh Slack-looking id such as `C00000001`."""
        return f"{prefix}{next(self._ids):08X}"

    def next_ts(self) -> str:
        """Return a message ts that is unique and greater than every earlier one."""
        now_us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
        self._last_ts_us = now_us
        return f"{now_us // 1_000_000}.{now_us % 1_000_000:06d}"

    def user(self, user_id: str | None) -> User:
        """Return a user by id, raising `user_not_found`."""
        user = self.users.get(user_id or "")
        if user is None:
            raise SlackError("user_not_found")
        return user

    def channel(self, ref: str | None) -> Channel:
        """Return a channel by id, `#name` or name, raising `channel_not_found`."""
        if ref in self.channels:
            return self.channels[ref]
        name = (ref or "").removeprefix("#")
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        raise SlackError("channel_not_found")

    def visible_channel(self, ref: str | None) -> Channel:
        """Return a channel the bot may read: private ones only when it is a member."""
        channel = self.channel(ref)
        if channel.is_private and self.bot not in channel.members:
            raise SlackError("channel_not_found")
        return channel

    def joined_channel(self, ref: str | None) -> Channel:
        """Return a channel the bot is a member of, raising `not_in_channel`."""
        channel = self.visible_channel(ref)
        if self.bot not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def message(self, channel_id: str, ts: str | None) -> Message:
        """Return a live message by channel and ts, raising `message_not_found`."""
        for message in self.messages.get(channel_id, []):
            if message.ts == ts and not message.deleted:
                return message
        raise SlackError("message_not_found")

    def add_user(self, user: User) -> User:
        """Store a user, replacing one with the same id."""
        self.users[user.id] = user
        return user

    def add_channel(self, channel: Channel) -> Channel:
        """Store a channel and give it an empty history."""
        self.channels[channel.id] = channel
        self.messages.setdefault(channel.id, [])
        return channel

    def im_with(self, user_id: str) -> Channel:
        """Return the bot's direct-message channel with a user, opening it if needed."""
        self.user(user_id)
        for channel in self.channels.values():
            if channel.is_im and channel.members == [self.bot, user_id]:
                return channel
        members = [self.bot, user_id]
        im = Channel(self.new_id("D"), user_id, self.bot, int(time.time()), members=members)
        im.is_im = im.is_private = True
        return self.add_channel(im)

    def append(self, message: Message) -> Message:
        """Add a message to its channel's history, noting posts that come too fast."""
        self._note_pace(message.channel, message.ts)
        self.messages.setdefault(message.channel, []).append(message)
        return message

    def issue_trigger(self, user_id: str, view_id: str | None) -> str:
        """Return a new single-use trigger_id for `user_id`."""
        trigger_id = f"{next(self._ids)}.{int(time.time())}.{uuid.uuid4().hex[:20]}"
        self.triggers[trigger_id] = Trigger(trigger_id, user_id, time.monotonic(), view_id)
        return trigger_id

    def exchange_trigger(self, trigger_id: str | None) -> Trigger:
        """Use up a trigger_id, raising Slack's error when it is unknown, used or expired."""
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > self.settings.trigger_ttl_s:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def channel_api(self, channel: Channel) -> JSON:
        """Return a channel as `conversations.info` shows it."""
        created = channel.created
        return {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": not channel.is_private and not channel.is_im,
            "is_group": channel.is_private and not channel.is_im,
            "is_im": channel.is_im,
            "is_mpim": False,
            "is_private": channel.is_private,
            "is_archived": channel.is_archived,
            "is_general": channel.name == "general",
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.bot in channel.members,
            "created": created,
            "updated": created * 1000,
            "creator": channel.creator,
            "context_team_id": self.settings.team_id,
            "shared_team_ids": [self.settings.team_id],
            "topic": {"value": channel.topic, "creator": channel.creator, "last_set": created},
            "purpose": {"value": channel.purpose, "creator": channel.creator, "last_set": created},
            "previous_names": list(channel.previous_names),
        } | self._properties(channel)

    def _properties(self, channel: Channel) -> JSON:
        if channel.canvas is None:
            return {}
        canvas = self.canvases[channel.canvas]
        found = {"file_id": canvas.id, "is_empty": not canvas.markdown, "quip_thread_id": ""}
        return {"properties": {"canvas": found}}

    def message_api(self, message: Message) -> JSON:
        """Return a message as `conversations.history` shows it."""
        data: JSON = {"type": "message", "user": message.user, "text": message.text}
        data |= {"ts": message.ts, "team": self.settings.team_id}
        if message.blocks:
            data["blocks"] = message.blocks
        if message.bot_id:
            data |= {"bot_id": message.bot_id, "app_id": self.settings.app_id}
        if message.thread_ts:
            data["thread_ts"] = message.thread_ts
        if message.edited_ts:
            data["edited"] = {"user": message.user, "ts": message.edited_ts}
        if message.reactions:
            data["reactions"] = [
                {"name": name, "users": users, "count": len(users)}
                for name, users in message.reactions.items()
            ]
        if message.metadata:
            data["metadata"] = message.metadata
        if message.files:
            data["files"] = [{"id": f} for f in message.files]
        return data

    def _note_pace(self, channel_id: str, ts: str) -> None:
        interval = self.settings.min_post_interval_s
        now = time.monotonic()
        last = self.last_post.get(channel_id)
        self.last_post[channel_id] = now
        if interval is not None and last is not None and now - last < interval:
            self.pacing.append(PacingViolation(channel_id, ts, round(now - last, 4)))


def seed(workspace: Workspace) -> None:
    """Add the bot user, the default people and `#general` (the bot is not a member)."""
    s = workspace.settings
    workspace.add_user(User(s.bot_user_id, s.bot_name, "", s.bot_name.title(), is_bot=True))
    for user_id, name, email, real_name, tz in DEFAULT_USERS:
        workspace.add_user(User(user_id, name, email, real_name, tz))
    members = [u[0] for u in DEFAULT_USERS]
    workspace.add_channel(
        Channel("C_GENERAL", "general", "U_ALICE", int(time.time()), members=members)
    )
