"""The `chat.*`, `pins.*` and `reactions.*` Web API methods."""

from __future__ import annotations

from bot.sandbox.slack.args import Args
from bot.sandbox.slack.limits import MESSAGE_MAX_TEXT, check_message_blocks
from bot.sandbox.slack.model import (
    JSON,
    Channel,
    Ephemeral,
    Message,
    MessageVersion,
    SlackError,
    utcnow,
)
from bot.sandbox.slack.workspace import Handler, Workspace


def post_message(workspace: Workspace, args: Args) -> JSON:
    """Post a message as the bot to a channel, `#name` or user id (a DM)."""
    channel = _postable(workspace, args.need("channel", "channel_not_found"))
    text, blocks = _content(args)
    message = Message(channel.id, workspace.next_ts(), workspace.bot, text, blocks or [])
    message.thread_ts = args.text("thread_ts")
    message.bot_id = workspace.settings.bot_id
    message.metadata = args.obj("metadata")
    workspace.append(message)
    data = workspace.message_api(message)
    return {"ok": True, "channel": channel.id, "ts": message.ts, "message": data}


def update(workspace: Workspace, args: Args) -> JSON:
    """Edit one of the bot's messages; absent text or blocks keep their old value."""
    channel = workspace.visible_channel(args.need("channel", "channel_not_found"))
    message = workspace.message(channel.id, args.need("ts", "message_not_found"))
    if message.user != workspace.bot:
        raise SlackError("cant_update_message")
    blocks = args.blocks()
    if args.text("text") is None and blocks is None:
        raise SlackError("no_text")
    check_message_blocks(blocks or [])
    message.edits.append(MessageVersion(message.text, message.blocks, utcnow()))
    message.text = _checked_text(args.text("text") or message.text)
    message.blocks = message.blocks if blocks is None else blocks
    message.edited_ts = workspace.next_ts()
    data = workspace.message_api(message)
    response: JSON = {"ok": True, "channel": channel.id, "ts": message.ts, "text": message.text}
    return response | {"message": data}


def delete(workspace: Workspace, args: Args) -> JSON:
    """Delete one of the bot's messages."""
    channel = workspace.visible_channel(args.need("channel", "channel_not_found"))
    message = workspace.message(channel.id, args.need("ts", "message_not_found"))
    if message.user != workspace.bot:
        raise SlackError("cant_delete_message")
    message.deleted = True
    return {"ok": True, "channel": channel.id, "ts": message.ts}


def post_ephemeral(workspace: Workspace, args: Args) -> JSON:
    """Show a message to one member of a channel."""
    channel = workspace.visible_channel(args.need("channel", "channel_not_found"))
    user = workspace.user(args.need("user", "user_not_found"))
    if user.id not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks = _content(args)
    ts = workspace.next_ts()
    thread_ts = args.text("thread_ts")
    ephemeral = Ephemeral(channel.id, user.id, text, blocks or [], ts, thread_ts, utcnow())
    workspace.ephemerals.append(ephemeral)
    return {"ok": True, "message_ts": ts}


def get_permalink(workspace: Workspace, args: Args) -> JSON:
    """Return a message's permalink."""
    channel = workspace.visible_channel(args.need("channel", "channel_not_found"))
    message = workspace.message(channel.id, args.need("message_ts", "message_not_found"))
    link = f"https://{workspace.settings.team_domain}.slack.com/archives/{channel.id}"
    link += f"/p{message.ts.replace('.', '')}"
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}


def pins_add(workspace: Workspace, args: Args) -> JSON:
    """Pin a message to its channel."""
    channel, message = _item(workspace, args)
    if message.ts in channel.pins:
        raise SlackError("already_pinned")
    channel.pins.append(message.ts)
    return {"ok": True}


def pins_remove(workspace: Workspace, args: Args) -> JSON:
    """Unpin a message."""
    channel, message = _item(workspace, args)
    if message.ts not in channel.pins:
        raise SlackError("no_pin")
    channel.pins.remove(message.ts)
    return {"ok": True}


def pins_list(workspace: Workspace, args: Args) -> JSON:
    """List a channel's pinned messages."""
    channel = workspace.joined_channel(args.need("channel", "channel_not_found"))
    items = [
        {"type": "message", "channel": channel.id, "created_by": workspace.bot}
        | {"message": workspace.message_api(workspace.message(channel.id, ts))}
        for ts in channel.pins
    ]
    return {"ok": True, "items": items}


def reactions_add(workspace: Workspace, args: Args) -> JSON:
    """Add the bot's emoji reaction to a message."""
    name = (args.text("name") or "").strip(":")
    if not name:
        raise SlackError("invalid_name")
    _, message = _item(workspace, args)
    users = message.reactions.setdefault(name, [])
    if workspace.bot in users:
        raise SlackError("already_reacted")
    users.append(workspace.bot)
    return {"ok": True}


def _postable(workspace: Workspace, ref: str) -> Channel:
    if ref in workspace.users:
        return workspace.im_with(ref)
    channel = workspace.visible_channel(ref)
    if channel.is_archived:
        raise SlackError("is_archived")
    lenient = workspace.settings.public_post_without_join and not channel.is_private
    if workspace.bot not in channel.members and not lenient:
        raise SlackError("not_in_channel")
    return channel


def _content(args: Args) -> tuple[str, list[JSON] | None]:
    text, blocks = args.text("text") or "", args.blocks()
    if not text and not blocks and not args.raw.get("attachments"):
        raise SlackError("no_text")
    check_message_blocks(blocks or [])
    return _checked_text(text), blocks


def _checked_text(text: str) -> str:
    if len(text) > MESSAGE_MAX_TEXT:
        raise SlackError("msg_too_long")
    return text


def _item(workspace: Workspace, args: Args) -> tuple[Channel, Message]:
    channel = workspace.joined_channel(args.need("channel", "channel_not_found"))
    ts = args.need("timestamp", "no_item_specified")
    return channel, workspace.message(channel.id, ts)


HANDLERS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
    "pins.add": pins_add,
    "pins.remove": pins_remove,
    "pins.list": pins_list,
    "reactions.add": reactions_add,
}
