"""HTTP errors with a clear JSON body, and the bearer check shared by every machine route."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from bot import untrusted
from bot.alerts import auth
from bot.deps import Deps

MAX_BODY = 1024 * 1024


class HTTPProblem(Exception):
    """An HTTP error answered as {"error": ..., "field": ...}."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.headers = headers or {}


def check_bearer(deps: Deps, request: Request) -> None:
    """Raise 401 unless the request carries the INCIDENTBOT_WEBHOOK_TOKEN bearer token."""
    token = deps.settings.webhook_token
    if token is None or not auth.bearer_ok(
        request.headers.get("authorization"), token.get_secret_value()
    ):
        raise HTTPProblem(401, "missing or wrong bearer token (INCIDENTBOT_WEBHOOK_TOKEN)")


async def read_json_body(request: Request, limit: int | None = None) -> bytes:
    """The raw body of a JSON request (415 for another type, 413 over the limit, 1 MiB)."""
    limit = limit or MAX_BODY
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise HTTPProblem(415, f"send JSON (Content-Type: application/json), not {content_type!r}")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPProblem(413, f"body is {declared} bytes; the limit is {limit}")
    # ASGI messages read directly: an async generator per request (request.stream()) costs
    # more than the rest of reading the body when a monitor sends a thousand a second.
    chunks, size = [], 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise HTTPProblem(400, "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPProblem(413, f"body is over the {limit}-byte limit")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def decode_json(raw: bytes) -> Any:
    """Parse a raw JSON body (400 with where it breaks, or when it nests too deep).

    Strings come back with NUL and lone surrogates replaced (see `bot.untrusted`).
    """
    try:
        value = json.loads(raw.decode("utf-8"))  # the raw body is kept as UTF-8 text
    except UnicodeDecodeError as exc:
        raise HTTPProblem(400, "body is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise HTTPProblem(
            400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise HTTPProblem(400, _too_deep()) from exc
    except ValueError as exc:  # e.g. an integer literal of thousands of digits
        raise HTTPProblem(400, f"malformed JSON: {str(exc)[:120]}") from exc
    if untrusted.could_be_deep(raw):
        try:
            untrusted.check_depth(value)
        except untrusted.TooDeep as exc:
            raise HTTPProblem(400, _too_deep()) from exc
    return untrusted.clean_json(value) if untrusted.may_need_cleaning(raw) else value


def _too_deep() -> str:
    return f"JSON nested deeper than {untrusted.MAX_JSON_DEPTH} levels"
