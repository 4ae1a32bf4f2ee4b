"""Plain records the fake Slack keeps: users, channels, messages, views and what was called."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

JSON = dict[str, Any]

TEAM_ID = "T_FAKE"
TEAM_NAME = "Fake Workspace"
TEAM_DOMAIN = "fake-workspace"
APP_ID = "A_FAKE"
BOT_USER_ID = "U_BOT"
BOT_ID = "B_BOT"
BOT_NAME = "incidentbot"
VERIFICATION_TOKEN = "fake-verification-token"


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


class SlackError(Exception):
    """A Slack API error: becomes `{"ok": false, "error": error, **extra}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class User:
    """A workspace member (or the bot's own user)."""

    id: str
    name: str
    email: str
    real_name: str
    tz: str = "Europe/London"
    is_bot: bool = False
    is_admin: bool = False
    deleted: bool = False

    def to_api(self, team_id: str) -> JSON:
        """Return the user object as `users.info` shows it."""
        now = datetime.now(ZoneInfo(self.tz))
        offset = now.utcoffset()
        profile = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "email": self.email,
            "image_48": f"https://avatars.example/{self.id}_48.png",
            "team": team_id,
        }
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": now.tzname() or self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }


@dataclass
class Channel:
    """A conversation: public or private channel, or a direct message (`is_im`)."""

    id: str
    name: str
    creator: str
    created: int
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    topic: str = ""
    purpose: str = ""
    members: list[str] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    previous_names: list[str] = field(default_factory=list)
    canvas: str | None = None  # the channel canvas's id, once created


@dataclass
class Canvas:
    """A canvas: its Markdown as last written, and every earlier version, oldest first."""

    id: str
    title: str
    markdown: str
    channel_id: str | None
    created: int
    history: list[str] = field(default_factory=list)
    deleted: bool = False


@dataclass
class File:
    """A file from the external upload flow: reserved, uploaded, then shared (or deleted)."""

    id: str
    filename: str
    length: int
    created: int
    title: str = ""
    content: bytes | None = None  # None until the bytes are posted to the upload URL
    channels: list[str] = field(default_factory=list)
    deleted: bool = False


@dataclass
class MessageVersion:
    """What a message said before an edit replaced it."""

    text: str
    blocks: list[JSON]
    replaced_at: datetime


@dataclass
class Message:
    """A channel message with edits applied; `edits` keeps the earlier versions, oldest first."""

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[JSON] = field(default_factory=list)
    thread_ts: str | None = None
    bot_id: str | None = None
    metadata: JSON | None = None
    edits: list[MessageVersion] = field(default_factory=list)
    edited_ts: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    deleted: bool = False
    via: str = "chat.postMessage"
    files: list[str] = field(default_factory=list)  # ids of files shared with the message

    @property
    def is_reply(self) -> bool:
        """Return True when this message lives in a thread under another message."""
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Ephemeral:
    """A message only `user` saw, from `chat.postEphemeral`."""

    channel: str
    user: str
    text: str
    blocks: list[JSON]
    message_ts: str
    thread_ts: str | None
    at: datetime


@dataclass
class View:
    """A modal or Home tab; `payload` is the view definition as the app last set it."""

    id: str
    type: str
    user_id: str
    payload: JSON
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    external_id: str = ""
    history: list[JSON] = field(default_factory=list)

    @property
    def callback_id(self) -> str:
        """Return the view's callback_id ('' when unset)."""
        return str(self.payload.get("callback_id", ""))

    @property
    def private_metadata(self) -> str:
        """Return the view's private_metadata ('' when unset)."""
        return str(self.payload.get("private_metadata", ""))

    @property
    def blocks(self) -> list[JSON]:
        """Return the view's blocks."""
        blocks: list[JSON] = self.payload.get("blocks", [])
        return blocks


@dataclass
class ResponsePost:
    """One body an app posted to a `response_url`."""

    response_id: str
    channel_id: str | None
    user_id: str | None
    body: JSON
    at: datetime

    @property
    def response_type(self) -> str:
        """Return `ephemeral` (Slack's default) or `in_channel`."""
        return str(self.body.get("response_type") or "ephemeral")

    @property
    def replace_original(self) -> bool:
        """Return whether the post replaces the message that carried the interaction."""
        return _truthy(self.body.get("replace_original"))

    @property
    def delete_original(self) -> bool:
        """Return whether the post deletes the message that carried the interaction."""
        return _truthy(self.body.get("delete_original"))

    @property
    def text(self) -> str:
        """Return the posted text ('' when only blocks were sent)."""
        return str(self.body.get("text") or "")


@dataclass
class Call:
    """One Web API call as the fake saw it (token removed) and what it answered."""

    method: str
    args: JSON
    response: JSON
    at: datetime
    status: int = 200

    @property
    def ok(self) -> bool:
        """Return whether the call succeeded."""
        return bool(self.response.get("ok"))


@dataclass
class PacingViolation:
    """Two posts to one channel closer together than Slack's ~1 message/s guidance."""

    channel: str
    ts: str
    gap_s: float


@dataclass
class Trigger:
    """A trigger_id the fake issued; it works once, within its lifetime."""

    id: str
    user_id: str
    issued_at: float
    view_id: str | None = None
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url the fake issued, with the interaction context it belongs to."""

    id: str
    channel_id: str | None
    user_id: str | None
    message_ts: str | None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
