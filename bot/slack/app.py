"""The bolt app: signature checks, queued work, one error handler, the listeners."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.slack import errors, incident_command, listeners, listening
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)
MAX_AGE_S = 300  # Slack's replay window


def build_app(ctx: SlackContext, *, signing_secret: str) -> listening.DurableApp:
    """Create the AsyncApp with middleware and every listener registered.

    Requests are verified by `http_endpoint` on the raw bytes before bolt parses them, so bolt's
    own verification is off; acks are answered once the ack part ran (process_before_response),
    and the work after them is queued (see `listening`).
    """
    app = listening.DurableApp(
        ctx,
        client=ctx.gateway.client,
        signing_secret=signing_secret,
        process_before_response=True,
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
    )
    app.error(_error_handler)
    for module in (incident_command, *listeners.MODULES):
        module.register(app, ctx)
    return app


def signed_by_slack(secret: str, raw: bytes, timestamp: str, signature: str) -> bool:
    """Whether `raw` carries Slack's v0 signature, made in the last five minutes."""
    if not secret or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE_S:
        return False
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def http_endpoint(app: AsyncApp, signing_secret: str) -> Callable[[Request], Awaitable[Response]]:
    """The handler for POST /slack/events (events, slash commands and interactivity).

    The signature is checked on the raw bytes first; nothing is decoded or parsed before that.
    """

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        if not signed_by_slack(
            signing_secret,
            raw,
            request.headers.get("x-slack-request-timestamp", ""),
            request.headers.get("x-slack-signature", ""),
        ):
            log.warning("refused a Slack request with a missing, wrong or stale signature")
            return JSONResponse({"error": "invalid signature", "field": None}, status_code=401)
        try:
            body = raw.decode("utf-8")
            headers: dict[str, str | Sequence[str]] = dict(request.headers)
            bolt_request = listening.SlackRequest(
                body=body, query=request.url.query, headers=headers
            )
        # bolt reads ids out of the parsed body assuming Slack's shapes (a JSON object whose
        # `team`, `authorizations`, ... are objects and lists); any other shape fails there.
        except (ValueError, RecursionError, AttributeError, TypeError, LookupError) as exc:
            log.warning("refused a signed Slack request that does not parse: %s", str(exc)[:200])
            return JSONResponse({"error": "malformed body", "field": None}, status_code=400)
        body_keys = bolt_request.body.keys() if isinstance(bolt_request.body, dict) else ()
        if not {"type", "command", "ssl_check"} & set(body_keys):
            log.warning("refused a signed Slack request that is no event, command or interaction")
            return JSONResponse({"error": "malformed body", "field": None}, status_code=400)
        problem = envelope_problem(bolt_request.body)
        if problem is not None:
            field, message = problem
            log.warning("refused a signed Slack request: %s %s", field, message)
            return JSONResponse({"error": f"{field} {message}", "field": field}, 400)
        return _in_error_shape(await app.async_dispatch(bolt_request))

    return endpoint


ENVELOPE_OBJECTS = ("team", "user", "channel", "enterprise", "view", "container", "message")


def envelope_problem(body: dict[str, Any]) -> tuple[str, str] | None:
    """The field of a request's envelope not in the shape Slack sends and bolt reads, and why.

    bolt dereferences these parts before any listener runs (for ids, auth and matching), so a
    signed body with, say, `event` a list would fail inside bolt rather than be refused.
    """
    event = body.get("event")
    if body.get("type") == "event_callback" and not (
        isinstance(event, dict) and isinstance(event.get("type"), str)
    ):
        return "event", "must be an object with a string type"
    if "event" in body and not isinstance(event, dict):
        return "event", "must be an object"
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        return "authorizations", "must be a list of objects"
    for name in ENVELOPE_OBJECTS:
        if not isinstance(body.get(name), dict | str | None):
            return name, "must be an object or a string"
    return None


def _in_error_shape(response: BoltResponse) -> Response:
    """bolt's answer; its own refusals (404 "unhandled request") in the {"error", "field"} shape."""
    if not 400 <= response.status < 500:
        return to_starlette_response(response)
    try:
        error = str(json.loads(response.body).get("error") or "")
    except (ValueError, AttributeError):
        error = ""
    error = error or response.body[:200] or f"refused ({response.status})"
    log.warning("refused a signed Slack request (%d): %s", response.status, error)
    return JSONResponse({"error": error, "field": None}, status_code=response.status)


async def _error_handler(
    error: Exception,
    body: dict[str, Any],
    respond: AsyncRespond | None = None,
    client: AsyncWebClient | None = None,
) -> None:
    """Turn errors that escaped a listener into a clear ephemeral message."""
    await errors.report(error, body, respond, client)
