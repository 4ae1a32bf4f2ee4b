"""Documents in Slack: the channel canvas, and Markdown files through the external upload flow.

A channel has one channel canvas, so creating it again after an unanswered call answers
`channel_canvas_already_exists` and the canvas is found in `conversations.info`. A file's id is
known before it is shared (from `files.getUploadURLExternal`), so a retry asks `files.info`
whether it was shared before uploading another.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import RetryLater

# What Slack answers where the workspace (its plan or its admins) does not allow the canvas.
CANVASES_OFF = frozenset(
    {
        "team_tier_cannot_create_channel_canvases",
        "free_team_canvas_tab_already_exists",
        "canvas_disabled_user_team",
        "canvas_tab_creation_failed",
        "restricted_action",
        "not_allowed_token_type",
        "missing_scope",
    }
)
GONE = frozenset({"canvas_not_found", "file_not_found", "file_deleted"})


class CanvasesOff(Exception):
    """The workspace cannot have this channel's canvas (the error says why)."""


class Gone(Exception):
    """The document was deleted in Slack."""


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "")) if exc.response is not None else ""


class SlackDocuments:
    """Canvas and file calls, in the bot's words."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def channel_canvas(self, channel: str, title: str, markdown: str) -> str:
        """Create the channel's canvas with this Markdown, or find the one it has; its id."""
        content = {"type": "markdown", "markdown": markdown}
        try:
            resp = await self.client.api_call(
                "conversations.canvases.create",
                json={"channel_id": channel, "title": title, "document_content": content},
            )
        except SlackApiError as exc:
            error = _error(exc)
            if error in CANVASES_OFF:
                raise CanvasesOff(error) from exc
            if error != "channel_canvas_already_exists":
                raise
            return await self._existing_canvas(channel)
        return str(resp["canvas_id"])

    async def _existing_canvas(self, channel: str) -> str:
        resp = await self.client.conversations_info(channel=channel)
        found = ((resp.get("channel") or {}).get("properties") or {}).get("canvas") or {}
        if not found.get("file_id"):
            raise RetryLater("Slack says the channel has a canvas but does not show it")
        return str(found["file_id"])

    async def replace_canvas(self, canvas_id: str, markdown: str) -> None:
        """Replace the whole canvas with this Markdown (the same edit twice changes nothing)."""
        change = {
            "operation": "replace",
            "document_content": {"type": "markdown", "markdown": markdown},
        }
        try:
            await self.client.api_call(
                "canvases.edit", json={"canvas_id": canvas_id, "changes": [change]}
            )
        except SlackApiError as exc:
            error = _error(exc)
            if error in GONE:
                raise Gone(error) from exc
            if error in CANVASES_OFF:
                raise CanvasesOff(error) from exc
            raise

    async def permalink(self, file_id: str) -> str | None:
        """Where people open a canvas or file."""
        resp = await self.client.files_info(file=file_id)
        link = (resp.get("file") or {}).get("permalink")
        return str(link) if link else None

    async def reserve_upload(self, filename: str, length: int) -> tuple[str, str]:
        """Start an upload: the file's id and the URL its bytes go to."""
        resp = await self.client.files_getUploadURLExternal(filename=filename, length=length)
        return str(resp["file_id"]), str(resp["upload_url"])

    async def upload(self, url: str, content: bytes) -> None:
        """Send the file's bytes to its upload URL."""
        async with aiohttp.ClientSession() as session, session.post(url, data=content) as resp:
            if resp.status != 200:
                raise RetryLater(f"Slack's upload URL answered HTTP {resp.status}")

    async def share(self, file_id: str, title: str, channel: str, comment: str) -> None:
        """Finish the upload, sharing the file in the channel with a comment."""
        await self.client.files_completeUploadExternal(
            files=[{"id": file_id, "title": title}], channel_id=channel, initial_comment=comment
        )

    async def shared_in(self, file_id: str, channel: str) -> bool:
        """Whether an upload was finished and shared in the channel."""
        try:
            resp = await self.client.files_info(file=file_id)
        except SlackApiError as exc:
            if _error(exc) in GONE:
                return False
            raise
        return channel in ((resp.get("file") or {}).get("channels") or [])

    async def delete_file(self, file_id: str) -> None:
        """Delete a file (one already gone is fine)."""
        try:
            await self.client.files_delete(file=file_id)
        except SlackApiError as exc:
            if _error(exc) not in GONE:
                raise
