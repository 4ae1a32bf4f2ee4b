"""The `canvases.*` and `conversations.canvases.create` Web API methods.

Content is `document_content: {"type": "markdown", "markdown": …}` (at most 1 MiB). A channel has
at most one channel canvas (`channel_canvas_already_exists`; its id is in `conversations.info`
under `channel.properties.canvas.file_id`). `Settings.canvas_error` makes the workspace answer
like a plan without canvases (e.g. `team_tier_cannot_create_channel_canvases`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from bot.sandbox.slack.args import Args
from bot.sandbox.slack.model import JSON, Canvas, SlackError
from bot.sandbox.slack.workspace import Handler, Workspace

MARKDOWN_MAX = 1_048_576
OPERATIONS = {
    "insert_after",
    "insert_before",
    "insert_at_start",
    "insert_at_end",
    "replace",
    "delete",
}


def create_channel_canvas(workspace: Workspace, args: Args) -> JSON:
    """Create the channel's canvas (its tab), once."""
    channel = workspace.joined_channel(args.need("channel_id", "channel_not_found"))
    _check_plan(workspace)
    if channel.canvas is not None:
        raise SlackError("channel_canvas_already_exists")
    canvas = _new(workspace, args, channel.id)
    channel.canvas = canvas.id
    return {"ok": True, "canvas_id": canvas.id}


def create(workspace: Workspace, args: Args) -> JSON:
    """Create a standalone canvas (shared to `channel_id` when given)."""
    _check_plan(workspace)
    channel_id = args.text("channel_id")
    if channel_id is not None:
        channel_id = workspace.joined_channel(channel_id).id
    return {"ok": True, "canvas_id": _new(workspace, args, channel_id).id}


def edit(workspace: Workspace, args: Args) -> JSON:
    """Apply changes; `replace` without a section replaces the whole document."""
    _check_plan(workspace)
    canvas = _canvas(workspace, args.need("canvas_id", "canvas_not_found"))
    changes = args.raw.get("changes")
    if isinstance(changes, str):
        try:
            changes = json.loads(changes)
        except ValueError as exc:
            raise SlackError("invalid_arguments") from exc
    if not isinstance(changes, list) or not changes:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["changes"]})
    for change in changes:
        _apply(canvas, change)
    return {"ok": True}


def delete(workspace: Workspace, args: Args) -> JSON:
    """Delete a canvas."""
    canvas = _canvas(workspace, args.need("canvas_id", "canvas_not_found"))
    canvas.deleted = True
    for channel in workspace.channels.values():
        if channel.canvas == canvas.id:
            channel.canvas = None
    return {"ok": True}


def _check_plan(workspace: Workspace) -> None:
    if workspace.settings.canvas_error:
        raise SlackError(workspace.settings.canvas_error)


def _new(workspace: Workspace, args: Args, channel_id: str | None) -> Canvas:
    content = args.obj("document_content")
    markdown = _markdown(content) if content is not None else ""
    canvas_id = workspace.new_id("F")
    canvas = Canvas(
        canvas_id, args.text("title") or "Untitled", markdown, channel_id, int(time.time())
    )
    workspace.canvases[canvas_id] = canvas
    return canvas


def _canvas(workspace: Workspace, canvas_id: str) -> Canvas:
    canvas = workspace.canvases.get(canvas_id)
    if canvas is None or canvas.deleted:
        raise SlackError("canvas_not_found")
    return canvas


def _apply(canvas: Canvas, change: Any) -> None:
    if not isinstance(change, dict) or change.get("operation") not in OPERATIONS:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["operation"]})
    operation = change["operation"]
    if operation != "replace" or change.get("section_id"):
        raise SlackError("canvas_editing_failed", detail="only whole-document replace is modelled")
    canvas.history.append(canvas.markdown)
    canvas.markdown = _markdown(change.get("document_content"))


def _markdown(content: Any) -> str:
    if not isinstance(content, dict) or content.get("type") != "markdown":
        raise SlackError("invalid_arguments", response_metadata={"messages": ["document_content"]})
    markdown = content.get("markdown")
    if not isinstance(markdown, str):
        raise SlackError("invalid_arguments", response_metadata={"messages": ["markdown"]})
    if len(markdown) > MARKDOWN_MAX:
        raise SlackError("canvas_creation_failed", detail="markdown is over 1 MiB")
    return markdown


def permalink(workspace: Workspace, canvas: Canvas) -> str:
    """Where people open a canvas."""
    s = workspace.settings
    return f"https://{s.team_domain}.slack.com/docs/{s.team_id}/{canvas.id}"


HANDLERS: dict[str, Handler] = {
    "conversations.canvases.create": create_channel_canvas,
    "canvases.create": create,
    "canvases.edit": edit,
    "canvases.delete": delete,
}
