"""The incident channel: open it, keep its summary and topic current, DM role holders, nudge.

Opening is safe to repeat after a crash or an unanswered call at any step: the channel's name is
reserved before it is created and a channel the bot already created under it is adopted; the
summary carries a key and is found again instead of posted twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import session_scope
from bot.errors import NotYet
from bot.flows import channels as channel_flows
from bot.incidents.snapshot import Snapshot
from bot.jobs.handlers.common import Handler, JobEnv, once, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.slack.blocks import incident as incident_blocks
from bot.slack.gateway import NameTaken, PostKey
from bot.vocabulary import Role


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """The channel's work (all of it needs Slack)."""
    work = _ChannelWork(env)
    return slack_handlers(
        env,
        {
            JobKind.OPEN_CHANNEL: work.open_channel,
            JobKind.REFRESH_SUMMARY: work.refresh_summary,
            JobKind.ROLE_DM: work.role_dm,
            JobKind.ROLE_NUDGE: work.role_nudge,
            JobKind.ANNOUNCE: work.announce,
        },
    )


@dataclass
class _ChannelWork:
    env: JobEnv

    async def _snapshot(self, incident_id: int) -> Snapshot:
        async with session_scope(self.env.deps.sessions) as session:
            return await self._picture(session, incident_id)

    async def _picture(self, session: AsyncSession, incident_id: int) -> Snapshot:
        snap = await channel_flows.snapshot(
            session=session, incident_id=incident_id, now=self.env.deps.clock()
        )
        base = self.env.deps.config.web.public_url
        return replace(snap, page_url=f"{base}/ui/incidents/{snap.number}") if base else snap

    async def open_channel(self, item: Claimed) -> None:
        """Create the channel, pin the summary, set the topic, invite responders."""
        assert item.incident_id is not None
        snap = await self._ensure_channel(item.incident_id)
        assert snap.channel_id is not None
        try:  # independent calls, made at once: the channel is ready sooner
            async with asyncio.TaskGroup() as calls:
                calls.create_task(self._pinned_summary(snap, retried=item.attempts > 1))
                calls.create_task(self._sync_topic(snap))
                invited = calls.create_task(self._invite(snap))
        except* Exception as failed:  # the job is retried whole (each call is idempotent)
            raise failed.exceptions[0] from None
        if missing := invited.result():  # after the summary, which comes first in the channel
            await self.env.need_slack().post(
                snap.channel_id,
                "⚠️ Could not invite: " + ", ".join(f"`{m}`" for m in missing),
                once=PostKey(f"invite:{snap.id}", may_exist=True),
            )

    async def _pinned_summary(self, snap: Snapshot, *, retried: bool) -> None:
        assert snap.channel_id is not None
        ts = snap.summary_ts
        if ts is None:
            ts = await self._post_summary(snap, PostKey(f"summary:{snap.id}", retried))
        await self.env.need_slack().pin(snap.channel_id, ts)  # pinning again is fine

    async def _ensure_channel(self, incident_id: int) -> Snapshot:
        """The incident's channel, created under its reserved name or adopted if it was, and
        the incident as its summary shows it (read in the transaction that stores the id)."""
        deps, slack = self.env.deps, self.env.need_slack()
        taken: list[str] = []
        while True:
            async with session_scope(deps.sessions) as session:
                opening = await channel_flows.opening(
                    session=session,
                    config=deps.config,
                    incident_id=incident_id,
                    now=deps.clock(),
                    taken=taken,
                )
                if opening.channel_id is not None:
                    return await self._picture(session, incident_id)
            if opening.name is None:  # a reserved name is kept; waiting is not a failure
                raise NotYet("waiting for Slack's channel-creation pace", retry_after=opening.wait)
            try:
                channel = await slack.create_channel(opening.name)
            except NameTaken:
                adopted = await slack.adopt_channel(opening.name)
                if adopted is None:
                    taken.append(opening.name)  # someone else's channel: reserve another name
                    continue
                channel = adopted  # created by an earlier attempt whose answer was lost
            async with session_scope(deps.sessions) as session:
                # Read first: storing the id locks the incident's row (the id is unique) until
                # commit, and intake must not wait on that while the snapshot is read.
                snap = await self._picture(session, incident_id)
                await channel_flows.channel_created(
                    session=session,
                    incident_id=incident_id,
                    channel_id=channel.id,
                    name=channel.name,
                )
            return replace(snap, channel_id=channel.id, channel_name=channel.name)

    async def _invite(self, snap: Snapshot) -> list[str]:
        """Invite the responders; returns those who could not be invited."""
        assert snap.channel_id is not None
        users: list[str] = []
        unknown: list[str] = []
        for responder in dict.fromkeys(snap.responders):
            user_id = await self._resolve_user(responder)
            (users if user_id else unknown).append(user_id or responder)
        refused = await self.env.need_slack().invite(snap.channel_id, users)
        return unknown + refused

    async def _resolve_user(self, responder: str) -> str | None:
        if "@" in responder:
            return await self.env.need_slack().lookup_email(responder)
        return responder if responder[:1] in ("U", "W") else None

    async def _post_summary(self, snap: Snapshot, key: PostKey) -> str:
        slack = self.env.need_slack()
        assert snap.channel_id is not None
        ts = await slack.post(
            snap.channel_id,
            incident_blocks.summary_text(snap),
            incident_blocks.summary_blocks(snap),
            once=key,
        )
        async with session_scope(self.env.deps.sessions) as session:
            await channel_flows.summary_posted(
                session=session,
                config=self.env.deps.config,
                incident_id=snap.id,
                ts=ts,
                now=self.env.deps.clock(),
            )
        return ts

    async def _sync_topic(self, snap: Snapshot) -> None:
        assert snap.channel_id is not None
        topic = incident_blocks.topic(snap)
        if snap.topic == topic:
            return
        await self.env.need_slack().set_topic(snap.channel_id, topic)
        async with session_scope(self.env.deps.sessions) as session:
            await channel_flows.topic_set(session=session, incident_id=snap.id, topic=topic)

    async def announce(self, item: Claimed) -> None:
        """Announce a new incident in the configured channel."""
        assert item.incident_id is not None
        channel = self.env.deps.config.channels.announce
        if channel:
            snap = await self._snapshot(item.incident_id)
            await self.env.need_slack().post(
                channel, incident_blocks.announcement(snap), once=once(item)
            )

    async def refresh_summary(self, item: Claimed) -> None:
        """Edit the pinned summary in place and keep the topic current."""
        assert item.incident_id is not None
        snap = await self._snapshot(item.incident_id)
        if snap.channel_id is None or snap.summary_ts is None:
            return  # the channel is still being opened; opening posts the current summary
        await self.env.need_slack().update(
            snap.channel_id,
            snap.summary_ts,
            incident_blocks.summary_text(snap),
            incident_blocks.summary_blocks(snap),
        )
        await self._sync_topic(snap)

    async def role_dm(self, item: Claimed) -> None:
        """Tell a new role holder what the role asks of them."""
        assert item.incident_id is not None
        snap = await self._snapshot(item.incident_id)
        role = Role(item.payload["role"])
        text = incident_blocks.role_dm(snap, role)
        await self.env.need_slack().dm(item.payload["user"], text, once=once(item))

    async def role_nudge(self, item: Claimed) -> None:
        """Remind the channel of required roles still empty; again later, a few times."""
        assert item.incident_id is not None
        snap = await self._snapshot(item.incident_id)
        if not snap.empty_roles or not snap.status.is_open:
            return
        if snap.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        text = incident_blocks.role_nudge(snap)
        await self.env.need_slack().post(snap.channel_id, text, once=once(item))
        async with session_scope(self.env.deps.sessions) as session:
            await channel_flows.nudge_again(
                session=session,
                incident_id=snap.id,
                count=int(item.payload.get("count", 0)) + 1,
                now=self.env.deps.clock(),
            )
