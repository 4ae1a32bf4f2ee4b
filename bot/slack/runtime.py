"""Assemble the Slack side: client → gateway → worker → bolt app, and Socket Mode when asked."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.jobs import Worker
from bot.slack import app as slack_app
from bot.slack import features
from bot.slack.context import SlackContext
from bot.slack.gateway import SlackGateway, make_client
from bot.slack.work import SlackWork, slack_retries


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
        """Disconnect Socket Mode and let queued Slack work finish."""
        if self.socket_mode is not None:
            await self.socket_mode.close_async()  # type: ignore[no-untyped-call]
        await self.ctx.worker.drain(timeout_s=5)


def build(deps: Deps, *, min_post_interval_s: float = 1.0) -> SlackRuntime:
    """Build the Slack runtime from settings (token, signing secret, API URL)."""
    settings = deps.settings
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    token = settings.slack_bot_token.get_secret_value()
    gateway = SlackGateway(
        make_client(token, settings.slack_api_url), min_post_interval_s=min_post_interval_s
    )
    worker = Worker(deps, {})
    deps.wake_worker = worker.wake
    ctx = SlackContext(deps=deps, gateway=gateway, worker=worker)
    handlers = SlackWork(deps, gateway).handlers()
    for module in features.MODULES:
        handlers.update(module.work_handlers(ctx))
    worker.handlers.update({kind: slack_retries(run) for kind, run in handlers.items()})
    app = slack_app.build_app(ctx, signing_secret=settings.slack_signing_secret.get_secret_value())
    return SlackRuntime(ctx=ctx, app=app)
