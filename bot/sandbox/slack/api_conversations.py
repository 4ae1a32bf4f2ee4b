"""The `conversations.*` Web API methods."""

from __future__ import annotations

import re
import time

from bot.sandbox.slack.args import Args, paginate
from bot.sandbox.slack.limits import TOPIC_MAX
from bot.sandbox.slack.model import JSON, Channel, SlackError
from bot.sandbox.slack.workspace import Handler, Workspace

NAME_MAX = 80
_NAME_CHARS = re.compile(r"[a-z0-9_-]+")


def check_name(workspace: Workspace, name: str | None) -> str:
    """Return a valid, unused channel name or raise Slack's `invalid_name_*`/`name_taken`."""
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > NAME_MAX:
        raise SlackError("invalid_name_maxlength")
    if not _NAME_CHARS.fullmatch(name):
        raise SlackError("invalid_name_specials")
    if not name.strip("-_"):
        raise SlackError("invalid_name_punctuation")
    if any(c.name == name and not c.is_im for c in workspace.channels.values()):
        raise SlackError("name_taken")
    return name


def create(workspace: Workspace, args: Args) -> JSON:
    """Create a channel with the bot as creator and only member."""
    name = check_name(workspace, args.text("name"))
    bot = workspace.bot
    channel = Channel(workspace.new_id("C"), name, bot, int(time.time()), members=[bot])
    channel.is_private = args.flag("is_private")
    workspace.add_channel(channel)
    return {"ok": True, "channel": workspace.channel_api(channel)}


def invite(workspace: Workspace, args: Args) -> JSON:
    """Invite users (comma-separated) into a channel the bot is in."""
    channel = _open_channel(workspace.joined_channel(args.need("channel", "channel_not_found")))
    users = args.id_list("users")
    if not users:
        raise SlackError("no_user")
    errors = [e for e in (_invite_error(workspace, channel, u) for u in users) if e]
    if errors and not args.flag("force"):
        raise SlackError(errors[0]["error"], errors=errors)
    failed = {e["user"] for e in errors}
    channel.members += [u for u in dict.fromkeys(users) if u not in failed]
    response: JSON = {"ok": True, "channel": workspace.channel_api(channel)}
    return response | ({"errors": errors} if errors else {})


def _invite_error(workspace: Workspace, channel: Channel, user_id: str) -> JSON | None:
    error = None
    if user_id not in workspace.users or workspace.users[user_id].deleted:
        error = "user_not_found"
    elif user_id == workspace.bot:
        error = "cant_invite_self"
    elif user_id in channel.members:
        error = "already_in_channel"
    return {"user": user_id, "ok": False, "error": error} if error else None


def set_topic(workspace: Workspace, args: Args) -> JSON:
    """Set a channel's topic (at most 250 characters)."""
    channel = _open_channel(workspace.joined_channel(args.need("channel", "channel_not_found")))
    channel.topic = _short_text(args.text("topic") or "")
    return {"ok": True, "channel": workspace.channel_api(channel)}


def set_purpose(workspace: Workspace, args: Args) -> JSON:
    """Set a channel's purpose (at most 250 characters)."""
    channel = _open_channel(workspace.joined_channel(args.need("channel", "channel_not_found")))
    channel.purpose = _short_text(args.text("purpose") or "")
    return {"ok": True, "channel": workspace.channel_api(channel)}


def info(workspace: Workspace, args: Args) -> JSON:
    """Describe one channel."""
    channel = workspace.visible_channel(args.need("channel", "channel_not_found"))
    data = workspace.channel_api(channel)
    if args.flag("include_num_members"):
        data["num_members"] = len(channel.members)
    return {"ok": True, "channel": data}


def join(workspace: Workspace, args: Args) -> JSON:
    """Add the bot to a public channel."""
    channel = workspace.channel(args.need("channel", "channel_not_found"))
    if channel.is_private or channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    _open_channel(channel)
    response: JSON = {"ok": True}
    if workspace.bot in channel.members:
        response |= {"warning": "already_in_channel"}
        response["response_metadata"] = {"warnings": ["already_in_channel"]}
    else:
        channel.members.append(workspace.bot)
    return response | {"channel": workspace.channel_api(channel)}


def members(workspace: Workspace, args: Args) -> JSON:
    """List a channel's member ids, paginated."""
    channel = workspace.visible_channel(args.need("channel", "channel_not_found"))
    page, cursor = paginate(channel.members, args)
    return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}


def history(workspace: Workspace, args: Args) -> JSON:
    """List a channel's top-level messages, newest first, paginated."""
    channel = workspace.joined_channel(args.need("channel", "channel_not_found"))
    oldest, latest = args.real("oldest", 0.0), args.real("latest", float("inf"))
    inclusive = args.flag("inclusive")
    found = [
        m
        for m in reversed(workspace.messages[channel.id])
        if not m.deleted and not m.is_reply and _within(float(m.ts), oldest, latest, inclusive)
    ]
    page, cursor = paginate(found, args)
    metadata = args.flag("include_all_metadata")
    return {
        "ok": True,
        "messages": [_without_metadata(workspace.message_api(m), metadata) for m in page],
        "has_more": bool(cursor),
        "pin_count": len(channel.pins),
        "response_metadata": {"next_cursor": cursor},
    }


def _without_metadata(message: JSON, keep: bool) -> JSON:
    # Slack returns message metadata only when asked with include_all_metadata.
    if not keep:
        message.pop("metadata", None)
    return message


def list_channels(workspace: Workspace, args: Args) -> JSON:
    """List channels of the requested types (default public), paginated."""
    types = set((args.text("types") or "public_channel").split(","))
    unknown = types - {"public_channel", "private_channel", "mpim", "im"}
    if unknown:
        raise SlackError("invalid_types")
    exclude_archived = args.flag("exclude_archived")
    found = [
        c
        for c in workspace.channels.values()
        if _type_of(c) in types
        and not (exclude_archived and c.is_archived)
        and (not c.is_private or workspace.bot in c.members)
    ]
    page, cursor = paginate(found, args)
    return {
        "ok": True,
        "channels": [workspace.channel_api(c) for c in page],
        "response_metadata": {"next_cursor": cursor},
    }


def _type_of(channel: Channel) -> str:
    if channel.is_im:
        return "im"
    return "private_channel" if channel.is_private else "public_channel"


def replies(workspace: Workspace, args: Args) -> JSON:
    """List a thread: the parent first, then its replies, oldest first."""
    channel = workspace.joined_channel(args.need("channel", "channel_not_found"))
    ts = args.need("ts", "thread_not_found")
    parent = next((m for m in workspace.messages[channel.id] if m.ts == ts), None)
    if parent is None or parent.deleted:
        raise SlackError("thread_not_found")
    thread = [m for m in workspace.messages[channel.id] if m.thread_ts == ts and m is not parent]
    page, cursor = paginate([parent, *[m for m in thread if not m.deleted]], args)
    return {
        "ok": True,
        "messages": [workspace.message_api(m) for m in page],
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


def open_dm(workspace: Workspace, args: Args) -> JSON:
    """Open (or find) the bot's direct-message channel with one user."""
    users = args.id_list("users")
    if len(users) != 1:
        raise SlackError("not_enough_users" if not users else "too_many_users")
    pair = [workspace.bot, users[0]]
    existed = any(c.is_im and c.members == pair for c in workspace.channels.values())
    channel = workspace.im_with(users[0])
    channel_data = {"id": channel.id}
    return {"ok": True, "no_op": existed, "already_open": existed, "channel": channel_data}


def archive(workspace: Workspace, args: Args) -> JSON:
    """Archive a channel."""
    channel = workspace.joined_channel(args.need("channel", "channel_not_found"))
    if channel.is_archived:
        raise SlackError("already_archived")
    if channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.name == "general":
        raise SlackError("cant_archive_general")
    channel.is_archived = True
    return {"ok": True}


def rename(workspace: Workspace, args: Args) -> JSON:
    """Rename a channel, keeping its old name in `previous_names`."""
    channel = _open_channel(workspace.joined_channel(args.need("channel", "channel_not_found")))
    new_name = check_name(workspace, args.text("name"))
    channel.previous_names.insert(0, channel.name)
    channel.name = new_name
    return {"ok": True, "channel": workspace.channel_api(channel)}


def _open_channel(channel: Channel) -> Channel:
    if channel.is_archived:
        raise SlackError("is_archived")
    return channel


def _short_text(text: str) -> str:
    if len(text) > TOPIC_MAX:
        raise SlackError("too_long")
    return text


def _within(ts: float, oldest: float, latest: float, inclusive: bool) -> bool:
    if inclusive:
        return oldest <= ts <= latest
    return oldest < ts < latest


HANDLERS: dict[str, Handler] = {
    "conversations.create": create,
    "conversations.invite": invite,
    "conversations.setTopic": set_topic,
    "conversations.setPurpose": set_purpose,
    "conversations.info": info,
    "conversations.join": join,
    "conversations.members": members,
    "conversations.history": history,
    "conversations.list": list_channels,
    "conversations.replies": replies,
    "conversations.open": open_dm,
    "conversations.archive": archive,
    "conversations.rename": rename,
}
