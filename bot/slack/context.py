"""What every Slack listener needs: deps, the gateway, a flow's session and the incident of the
channel; queued work wakes the worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import session_scope
from bot.deps import Deps
from bot.flows import incidents as incident_flows
from bot.jobs import queue
from bot.models import Incident
from bot.slack.gateway import SlackGateway


@dataclass
class SlackContext:
    deps: Deps
    gateway: SlackGateway
    # At most this many listener flows hold a database session at once, so a burst of clicks
    # leaves connections to intake and the worker's own work.
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))

    @asynccontextmanager
    async def flow(self) -> AsyncIterator[AsyncSession]:
        """A session for one flow; queued work starts as soon as it commits."""
        async with self.slots, session_scope(self.deps.sessions) as session:
            yield session
        if session.info.get(queue.SCHEDULED):
            self.deps.wake_worker()

    @asynccontextmanager
    async def incident_flow(self, channel_id: str) -> AsyncIterator[tuple[AsyncSession, Incident]]:
        """A flow's session and the incident of this channel; NotInIncident when it has none."""
        async with self.flow() as session:
            yield session, await incident_flows.in_channel(session=session, channel_id=channel_id)

    async def incident_of(self, channel_id: str) -> Incident:
        """The incident of this channel (NotInIncident when it has none)."""
        async with self.incident_flow(channel_id) as (_, incident):
            return incident
