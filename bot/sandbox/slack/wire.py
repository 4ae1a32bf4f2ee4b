"""The Web API's wire details: method table, argument parsing, injected faults."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.slack import (
    api_canvases,
    api_chat,
    api_conversations,
    api_files,
    api_users,
    api_views,
)
from bot.sandbox.slack.model import JSON
from bot.sandbox.slack.workspace import Handler

Reply = tuple[int, dict[str, str], JSON]

HANDLERS: dict[str, Handler] = (
    api_users.HANDLERS
    | api_conversations.HANDLERS
    | api_chat.HANDLERS
    | api_views.HANDLERS
    | api_canvases.HANDLERS
    | api_files.HANDLERS
)
FAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


@dataclass
class Fault:
    """An injected failure for the next `remaining` calls to one method.

    `applied` faults carry the call out first and only then fail (the answer is lost): with
    `hang_s` the answer comes that late (a client time-out), else with `status`.
    """

    status: int
    error: str
    retry_after: int | None
    remaining: int
    applied: bool = False
    hang_s: float = 0.0

    def reply(self) -> Reply:
        """Return the HTTP status, headers and body this fault answers with."""
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return self.status, headers, {"ok": False, "error": self.error}


async def read_args(request: web.Request) -> tuple[JSON, str | None]:
    """Merge query, form and JSON arguments; take the token from the header or the arguments."""
    raw: JSON = dict(request.query)
    if request.can_read_body and request.content_type == "application/json":
        body: Any = json.loads(await request.text() or "{}")
        raw.update(body if isinstance(body, dict) else {})
    elif request.can_read_body:
        form = await request.post()
        raw.update({k: v if isinstance(v, str) else _form_value(v) for k, v in form.items()})
    header = request.headers.get("Authorization", "")
    token = raw.pop("token", None)
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    elif header.lower().startswith("basic "):  # client id and secret, as the OAuth methods take
        raw.update(_basic(header[6:].strip()))
    return raw, token


def _basic(credentials: str) -> JSON:
    try:
        client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("malformed Basic credentials") from exc
    return {"client_id": client_id, "client_secret": secret}


def _form_value(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return str(getattr(value, "filename", ""))
