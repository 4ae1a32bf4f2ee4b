"""What happens when an app posts to a `response_url`: recorded, and applied to the channel."""

from __future__ import annotations

from bot.sandbox.slack.limits import check_message_blocks
from bot.sandbox.slack.model import JSON, Message, MessageVersion, ResponsePost, ResponseUrl, utcnow
from bot.sandbox.slack.workspace import Workspace


def apply(workspace: Workspace, target: ResponseUrl, body: JSON) -> ResponsePost:
    """Record a response_url post; replace, delete or add the channel message it asks for."""
    check_message_blocks(body.get("blocks") or [])
    post = ResponsePost(target.id, target.channel_id, target.user_id, body, utcnow())
    workspace.responses.append(post)
    original = _original(workspace, target)
    if original is not None and post.delete_original:
        original.deleted = True
    elif original is not None and post.replace_original:
        _replace(workspace, original, body)
    elif post.response_type == "in_channel" and target.channel_id:
        _post(workspace, target.channel_id, body)
    return post


def _original(workspace: Workspace, target: ResponseUrl) -> Message | None:
    for message in workspace.messages.get(target.channel_id or "", []):
        if message.ts == target.message_ts and not message.deleted:
            return message
    return None


def _replace(workspace: Workspace, message: Message, body: JSON) -> None:
    message.edits.append(MessageVersion(message.text, message.blocks, utcnow()))
    message.text = str(body.get("text") or "")
    message.blocks = list(body.get("blocks") or [])
    message.edited_ts = workspace.next_ts()


def _post(workspace: Workspace, channel_id: str, body: JSON) -> None:
    text, blocks = str(body.get("text") or ""), list(body.get("blocks") or [])
    message = Message(channel_id, workspace.next_ts(), workspace.bot, text, blocks)
    message.thread_ts = body.get("thread_ts")
    message.bot_id = workspace.settings.bot_id
    message.via = "response_url"
    workspace.append(message)
