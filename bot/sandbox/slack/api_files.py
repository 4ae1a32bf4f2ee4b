"""Slack's external file upload flow and the `files.*` methods around it.

1. `files.getUploadURLExternal` (`filename`, `length`) answers `upload_url` and `file_id`;
2. the app POSTs the bytes to `upload_url` (raw or multipart), exactly `length` of them;
3. `files.completeUploadExternal` (`files=[{"id", "title"}]`, optional `channel_id`,
   `initial_comment`, `thread_ts`) shares the file; without a channel it stays private.
`files.info` and `files.delete` work on uploaded files and on canvases (which are files too).
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from bot.sandbox.slack import api_canvases
from bot.sandbox.slack.args import Args
from bot.sandbox.slack.model import JSON, File, Message, SlackError
from bot.sandbox.slack.workspace import Handler, Workspace

UPLOAD_PATH = "/upload/v1/"
MAX_LENGTH = 1_000_000_000


def get_upload_url(workspace: Workspace, args: Args) -> JSON:
    """Reserve a file id and an upload URL for `length` bytes."""
    filename = args.need("filename", "invalid_arguments")
    length = args.number("length", 0)
    if length <= 0:
        raise SlackError("missing_argument")
    if length > MAX_LENGTH:
        raise SlackError("file_upload_size_restricted")
    file = File(workspace.new_id("F"), filename, length, int(time.time()))
    workspace.files[file.id] = file
    url = f"{workspace.settings.upload_base}{UPLOAD_PATH}{file.id}"
    return {"ok": True, "upload_url": url, "file_id": file.id}


async def receive_upload(workspace: Workspace, request: web.Request) -> web.Response:
    """The upload URL: take the bytes (raw, or the multipart field `filename`/`file`)."""
    file = workspace.files.get(request.match_info["file_id"])
    if file is None or file.deleted:
        return web.Response(status=404, text="file not found")
    data = await _bytes(request)
    if len(data) != file.length:
        return web.Response(status=400, text=f"expected {file.length} bytes, got {len(data)}")
    file.content = data
    return web.Response(text=f"OK - {len(data)}")


async def _bytes(request: web.Request) -> bytes:
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        part: Any = next(iter(form.values()), b"")
        return part.file.read() if hasattr(part, "file") else str(part).encode()
    return await request.read()


def complete(workspace: Workspace, args: Args) -> JSON:
    """Finish uploads, sharing them to `channel_id` with `initial_comment` when given."""
    entries = _entries(args)
    files = [_uploaded(workspace, entry) for entry in entries]
    channel_id = args.text("channel_id")
    if channel_id is not None:
        channel = workspace.joined_channel(channel_id)
        text = args.text("initial_comment") or ""
        message = Message(channel.id, workspace.next_ts(), workspace.bot, text)
        message.thread_ts, message.via = args.text("thread_ts"), "files.completeUploadExternal"
        message.files = [f.id for f in files]
        workspace.append(message)
        for file in files:
            file.channels.append(channel.id)
    return {"ok": True, "files": [file_api(workspace, f) for f in files]}


def _entries(args: Args) -> list[dict[str, Any]]:
    raw = args.raw.get("files")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise SlackError("invalid_arguments") from exc
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(e, dict) and e.get("id") for e in raw)
    ):
        raise SlackError("invalid_arguments", response_metadata={"messages": ["files"]})
    return raw


def _uploaded(workspace: Workspace, entry: dict[str, Any]) -> File:
    file = workspace.files.get(str(entry["id"]))
    if file is None or file.deleted:
        raise SlackError("file_not_found")
    if file.content is None:
        raise SlackError("file_not_found", detail="nothing was uploaded to the upload URL")
    file.title = str(entry.get("title") or file.filename)
    return file


def info(workspace: Workspace, args: Args) -> JSON:
    """Describe a file or a canvas."""
    file_id = args.need("file", "file_not_found")
    canvas = workspace.canvases.get(file_id)
    if canvas is not None and not canvas.deleted:
        link = api_canvases.permalink(workspace, canvas)
        found = {"id": canvas.id, "title": canvas.title, "filetype": "quip", "permalink": link}
        return {"ok": True, "file": found}
    file = workspace.files.get(file_id)
    if file is None or file.deleted:
        raise SlackError("file_not_found" if file is None else "file_deleted")
    return {"ok": True, "file": file_api(workspace, file)}


def delete(workspace: Workspace, args: Args) -> JSON:
    """Delete a file the bot uploaded."""
    file = workspace.files.get(args.need("file", "file_not_found"))
    if file is None:
        raise SlackError("file_not_found")
    if file.deleted:
        raise SlackError("file_deleted")
    file.deleted = True
    return {"ok": True}


def file_api(workspace: Workspace, file: File) -> JSON:
    """A file as `files.info` shows it."""
    s = workspace.settings
    return {
        "id": file.id,
        "created": file.created,
        "name": file.filename,
        "title": file.title or file.filename,
        "size": file.length,
        "user": workspace.bot,
        "channels": list(file.channels),
        "permalink": f"https://{s.team_domain}.slack.com/files/{workspace.bot}/{file.id}/{file.filename}",
    }


HANDLERS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete,
    "files.info": info,
    "files.delete": delete,
}
