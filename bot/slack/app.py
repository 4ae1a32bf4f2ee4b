"""The bolt app: signature checks, event dedupe, one error handler, four listener modules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response

from bot.db import insert_or_skip, session_scope
from bot.models import SlackEvent
from bot.slack import errors, features
from bot.slack.context import SlackContext
from bot.slack.listeners import actions, commands, events, views


def build_app(ctx: SlackContext, *, signing_secret: str) -> AsyncApp:
    """Create the AsyncApp with middleware and every listener registered."""
    app = AsyncApp(
        client=ctx.gateway.client,
        signing_secret=signing_secret,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    app.use(_dedupe_events(ctx))
    app.error(_error_handler)
    for module in (commands, actions, views, events, *features.MODULES):
        module.register(app, ctx)
    return app


class _BoltRequest(AsyncBoltRequest):
    """bolt's request, but a form body that merely contains the word "payload" stays a form.

    bolt treats any form body containing "payload" as an interactivity payload, so
    `/incident note payload was wrong` would parse to nothing and be answered 404.
    """

    def __init__(self, *, body: str, query: str, headers: dict[str, str | Sequence[str]]) -> None:
        super().__init__(body=body, query=query, headers=headers)
        if self.body or body.startswith("{"):
            return
        params = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in params:
            self.body = params
            self.context = build_async_context(AsyncBoltContext({}), self.body)


def http_endpoint(app: AsyncApp) -> Callable[[Request], Awaitable[Response]]:
    """The handler for POST /slack/events (events, slash commands and interactivity)."""

    async def endpoint(request: Request) -> Response:
        body = (await request.body()).decode("utf-8")
        headers: dict[str, str | Sequence[str]] = dict(request.headers)
        bolt_request = _BoltRequest(body=body, query=request.url.query, headers=headers)
        return to_starlette_response(await app.async_dispatch(bolt_request))

    return endpoint


def _dedupe_events(ctx: SlackContext) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Drop Events API deliveries whose event_id was handled before (Slack retries them)."""

    async def middleware(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await _first_time(ctx, event_id):
            return BoltResponse(status=200, body="")
        await next()
        return None

    return middleware


async def _first_time(ctx: SlackContext, event_id: str) -> bool:
    async with session_scope(ctx.deps.sessions) as session:
        values = {"event_id": event_id, "received_at": ctx.deps.clock()}
        return await insert_or_skip(session, SlackEvent, values) is not None


async def _error_handler(
    error: Exception,
    body: dict[str, Any],
    respond: AsyncRespond | None = None,
    client: AsyncWebClient | None = None,
) -> None:
    """Turn errors that escaped a listener into a clear ephemeral message."""
    await errors.report(error, body, respond, client)
