"""Assemble the Slack side: client → gateway → bolt app, and Socket Mode when asked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from starlette.requests import Request
from starlette.responses import Response

from bot.deps import Deps
from bot.slack import app as slack_app
from bot.slack import listening
from bot.slack.context import SlackContext
from bot.slack.gateway import SlackGateway, make_client


@dataclass
class SlackRuntime:
    ctx: SlackContext
    app: listening.DurableApp
    signing_secret: str
    socket_mode: AsyncSocketModeHandler | None = None

    def endpoint(self) -> Callable[[Request], Awaitable[Response]]:
        """The handler of POST /slack/events."""
        return slack_app.http_endpoint(self.app, self.signing_secret)

    async def run_queued(self, payload: dict[str, Any], *, last_try: bool = False) -> None:
        """Run the work part of a stored Slack request."""
        await listening.run_queued(self.app, payload, last_try=last_try)

    async def start(self, *, ping_interval_s: float = 10.0) -> None:
        """Learn who the bot is, then connect over Socket Mode when an app token is configured.

        slack-sdk pings every `ping_interval_s` and reconnects on its own when the connection
        drops or Slack asks for a refresh.
        """
        await self.app.authorize_now()
        token = self.ctx.deps.settings.slack_app_token
        if token is not None and token.get_secret_value():
            self.socket_mode = AsyncSocketModeHandler(
                self.app, token.get_secret_value(), ping_interval=ping_interval_s
            )
            await self.socket_mode.connect_async()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        """Disconnect Socket Mode."""
        if self.socket_mode is not None:
            await self.socket_mode.close_async()  # type: ignore[no-untyped-call]


def gateway(
    deps: Deps, *, min_post_interval_s: float = 1.0, timeout_s: float = 15.0
) -> SlackGateway:
    """The Slack gateway from settings (token and API URL); documents name people through it."""
    token = deps.settings.slack_bot_token
    assert token is not None
    client = make_client(token.get_secret_value(), deps.settings.slack_api_url, timeout_s=timeout_s)
    slack = SlackGateway(client, min_post_interval_s=min_post_interval_s)
    deps.name_of = slack.display_name
    return slack


def build(deps: Deps, slack: SlackGateway) -> SlackRuntime:
    """Build the bolt app over a gateway (a worker needs no signing secret; serving does)."""
    secret = deps.settings.slack_signing_secret
    signing_secret = secret.get_secret_value() if secret else ""
    ctx = SlackContext(deps=deps, gateway=slack)
    app = slack_app.build_app(ctx, signing_secret=signing_secret)
    return SlackRuntime(ctx=ctx, app=app, signing_secret=signing_secret)
