"""Assemble the Slack side: client → gateway → bolt app, and Socket Mode when asked."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.slack import app as slack_app
from bot.slack.context import SlackContext
from bot.slack.gateway import SlackGateway, make_client


@dataclass
class SlackRuntime:
    ctx: SlackContext
    app: AsyncApp
    socket_mode: AsyncSocketModeHandler | None = None

    async def start_socket_mode(self) -> None:
        """Connect over Socket Mode when an app token is configured."""
        token = self.ctx.deps.settings.slack_app_token
        if token is not None and token.get_secret_value():
            self.socket_mode = AsyncSocketModeHandler(self.app, token.get_secret_value())
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
    """Build the bolt app over a gateway, verifying requests with the signing secret."""
    secret = deps.settings.slack_signing_secret
    assert secret is not None
    ctx = SlackContext(deps=deps, gateway=slack)
    app = slack_app.build_app(ctx, signing_secret=secret.get_secret_value())
    return SlackRuntime(ctx=ctx, app=app)
