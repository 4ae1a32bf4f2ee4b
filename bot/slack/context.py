"""What every Slack listener needs: deps, the gateway, and the worker to wake after a flow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import session_scope
from bot.deps import Deps
from bot.jobs import Worker
from bot.slack.gateway import SlackGateway


@dataclass
class SlackContext:
    deps: Deps
    gateway: SlackGateway
    worker: Worker

    @asynccontextmanager
    async def flow(self) -> AsyncIterator[AsyncSession]:
        """A session for one flow; queued Slack work starts as soon as it commits."""
        async with session_scope(self.deps.sessions) as session:
            yield session
        self.worker.wake()
