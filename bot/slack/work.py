"""Slack work queued in the database (open a channel, refresh the summary, DMs, nudges, posts).

Each handler is idempotent over database state, so a retry after a crash or a 429 never creates
a second channel or a second summary.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

from bot import due
from bot.db import session_scope
from bot.deps import Deps
from bot.flows import incidents as incident_flows
from bot.incidents import rules as incident_rules
from bot.incidents import snapshot
from bot.incidents import store as incident_store
from bot.incidents.schemas import Role
from bot.jobs import Handler, RetryLater
from bot.slack import features
from bot.slack.blocks import incident as incident_blocks
from bot.slack.gateway import Channel, NameTaken, SlackGateway

ANNOUNCE = "slack.announce"
NUDGE_AGAIN = timedelta(minutes=15)
MAX_NUDGES = 3


@dataclass
class SlackWork:
    deps: Deps
    gateway: SlackGateway

    def handlers(self) -> dict[str, Handler]:
        """Due-work kinds this module handles."""
        return {
            incident_flows.OPEN_CHANNEL: self.open_channel,
            incident_flows.REFRESH_SUMMARY: self.refresh_summary,
            incident_flows.ROLE_DM: self.role_dm,
            incident_flows.ROLE_NUDGE: self.role_nudge,
            ANNOUNCE: self.announce,
        }

    async def _snapshot(self, incident_id: int) -> snapshot.Snapshot:
        async with session_scope(self.deps.sessions) as session:
            return await snapshot.load(session=session, incident_id=incident_id)

    async def open_channel(self, item: due.Claimed) -> None:
        """Create the channel, set its topic, invite responders, pin the summary, announce."""
        assert item.incident_id is not None
        snap = await self._snapshot(item.incident_id)
        if snap.channel_id is None:
            channel = await self._create_channel(snap)
            async with session_scope(self.deps.sessions) as session:
                incident = await incident_store.get(session=session, incident_id=snap.id)
                incident.channel_id, incident.channel_name = channel.id, channel.name
            snap = await self._snapshot(snap.id)
        assert snap.channel_id is not None
        await self._sync_topic(snap)
        await self._invite(snap)
        if snap.summary_ts is None:
            await self._post_summary(snap)
        await self._queue_channel_followups(snap)

    async def _queue_channel_followups(self, snap: snapshot.Snapshot) -> None:
        """Queue, once per incident, the announcement and what each feature posts next."""
        kinds = [
            ANNOUNCE,
            *(kind for module in features.MODULES for kind in module.ON_CHANNEL_OPEN),
        ]
        async with session_scope(self.deps.sessions) as session:
            for kind in kinds:
                await due.schedule(
                    session=session,
                    kind=kind,
                    subject_key=str(snap.id),
                    due_at=self.deps.clock(),
                    incident_id=snap.id,
                    rearm=False,
                )

    async def announce(self, item: due.Claimed) -> None:
        """Announce a new incident in the configured channel."""
        assert item.incident_id is not None
        if self.deps.config.channels.announce:
            snap = await self._snapshot(item.incident_id)
            await self.gateway.post(
                self.deps.config.channels.announce, incident_blocks.announcement(snap)
            )

    async def _create_channel(self, snap: snapshot.Snapshot) -> Channel:
        prefix = self.deps.config.channels.prefix
        name = incident_rules.channel_name(snap.declared_at, snap.title, prefix=prefix)
        try:
            return await self.gateway.create_channel(name)
        except NameTaken:
            suffixed = incident_rules.channel_name(
                snap.declared_at, snap.title, prefix=prefix, suffix=str(snap.number)
            )
            return await self.gateway.create_channel(suffixed)

    async def _invite(self, snap: snapshot.Snapshot) -> None:
        assert snap.channel_id is not None
        users: list[str] = []
        unknown: list[str] = []
        for responder in dict.fromkeys(snap.responders):
            user_id = await self._resolve_user(responder)
            (users if user_id else unknown).append(user_id or responder)
        refused = await self.gateway.invite(snap.channel_id, users)
        missing = unknown + refused
        if missing:
            await self.gateway.post(
                snap.channel_id, "⚠️ Could not invite: " + ", ".join(f"`{m}`" for m in missing)
            )

    async def _resolve_user(self, responder: str) -> str | None:
        if "@" in responder:
            return await self.gateway.lookup_email(responder)
        return responder if responder[:1] in ("U", "W") else None

    async def _post_summary(self, snap: snapshot.Snapshot) -> None:
        assert snap.channel_id is not None
        ts = await self.gateway.post(
            snap.channel_id,
            incident_blocks.summary_text(snap),
            incident_blocks.summary_blocks(snap),
        )
        async with session_scope(self.deps.sessions) as session:
            incident = await incident_store.get(session=session, incident_id=snap.id)
            incident.summary_ts = ts
        await self.gateway.pin(snap.channel_id, ts)

    async def _sync_topic(self, snap: snapshot.Snapshot) -> None:
        assert snap.channel_id is not None
        topic = incident_blocks.topic(snap)
        async with session_scope(self.deps.sessions) as session:
            incident = await incident_store.get(session=session, incident_id=snap.id)
            if incident.topic == topic:
                return
        await self.gateway.set_topic(snap.channel_id, topic)
        async with session_scope(self.deps.sessions) as session:
            incident = await incident_store.get(session=session, incident_id=snap.id)
            incident.topic = topic

    async def refresh_summary(self, item: due.Claimed) -> None:
        """Edit the pinned summary in place and keep the topic current."""
        assert item.incident_id is not None
        snap = await self._snapshot(item.incident_id)
        if snap.channel_id is None or snap.summary_ts is None:
            return  # the channel is still being opened; opening posts the current summary
        await self.gateway.update(
            snap.channel_id,
            snap.summary_ts,
            incident_blocks.summary_text(snap),
            incident_blocks.summary_blocks(snap),
        )
        await self._sync_topic(snap)

    async def role_dm(self, item: due.Claimed) -> None:
        """Tell a new role holder what the role asks of them."""
        assert item.incident_id is not None
        snap = await self._snapshot(item.incident_id)
        role = Role(item.payload["role"])
        await self.gateway.dm(item.payload["user"], incident_blocks.role_dm(snap, role))

    async def role_nudge(self, item: due.Claimed) -> None:
        """Remind the channel of required roles still empty; again later, a few times."""
        assert item.incident_id is not None
        snap = await self._snapshot(item.incident_id)
        if not snap.empty_roles or not snap.status.is_open or snap.channel_id is None:
            return
        await self.gateway.post(snap.channel_id, incident_blocks.role_nudge(snap))
        count = int(item.payload.get("count", 0)) + 1
        if count < MAX_NUDGES:
            async with session_scope(self.deps.sessions) as session:
                await due.schedule(
                    session=session,
                    kind=incident_flows.ROLE_NUDGE,
                    subject_key=f"{snap.id}:{count}",
                    incident_id=snap.id,
                    due_at=self.deps.clock() + NUDGE_AGAIN,
                    payload={"count": count},
                )


def slack_retries(handler: Callable[[due.Claimed], Awaitable[None]]) -> Handler:
    """Turn Slack's temporary failures into RetryLater (with Retry-After when given)."""

    @functools.wraps(handler)
    async def wrapped(item: due.Claimed) -> None:
        try:
            await handler(item)
        except SlackApiError as exc:
            retry_after = exc.response.headers.get("Retry-After") if exc.response else None
            error = exc.response.get("error") if exc.response else str(exc)
            raise RetryLater(
                f"Slack: {error}", float(retry_after) if retry_after else None
            ) from exc
        except (ClientError, TimeoutError) as exc:
            raise RetryLater(f"Slack unreachable: {exc!r}") from exc

    return wrapped
