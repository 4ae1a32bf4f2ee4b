"""Due work of the follow-up feature: eval notices, item messages, reminders, overdue, digest.

Every handler re-reads the database first, so running one twice, late, or after the item changed
posts nothing wrong: a reminder for a finished item or an old due date does nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from bot import due
from bot.db import session_scope
from bot.flows import action_items as item_flows
from bot.flows import fix_validation
from bot.jobs import Handler, RetryLater
from bot.postmortem.store import ItemRecord
from bot.slack.blocks import followup as followup_blocks
from bot.slack.blocks import followup_text
from bot.slack.context import SlackContext


def work_handlers(ctx: SlackContext) -> dict[str, Handler]:
    """Due-work kinds this feature runs."""
    work = _FollowupWork(ctx)
    return {
        fix_validation.EVAL_POSTED: work.eval_posted,
        item_flows.ITEM_POST: work.item_post,
        item_flows.ITEM_REFRESH: work.item_refresh,
        item_flows.ARM: work.arm,
        item_flows.REMIND: work.remind,
        item_flows.OVERDUE_OWNER: work.overdue_owner,
        item_flows.OVERDUE_MANAGERS: work.overdue_managers,
        item_flows.DIGEST: work.digest,
    }


class _FollowupWork:
    def __init__(self, ctx: SlackContext) -> None:
        self.ctx = ctx
        self.deps = ctx.deps
        self.gateway = ctx.gateway

    def _today(self) -> date:
        return item_flows.today(self.deps.config, self.deps.clock())

    async def eval_posted(self, work: due.Claimed) -> None:
        """Show an eval run in the incident channel with what it means for the fix."""
        assert work.incident_id is not None
        async with session_scope(self.deps.sessions) as session:
            notice = await fix_validation.notice(
                session=session,
                config=self.deps.config,
                incident_id=work.incident_id,
                run_id=int(work.payload["eval_run_id"]),
            )
        if notice is None:
            return
        if notice.channel_id is None:
            raise RetryLater("the incident channel does not exist yet")
        await self.gateway.post(notice.channel_id, followup_text.eval_notice(notice))

    async def item_post(self, work: due.Claimed) -> None:
        """Post an item's message with its buttons, once."""
        item = await self._item(work)
        if item.message_ts is not None:
            return
        if item.incident_channel is None:
            raise RetryLater("the incident channel does not exist yet")
        ts = await self.gateway.post(
            item.incident_channel,
            followup_blocks.item_text(item),
            followup_blocks.item_blocks(item, self._today()),
        )
        async with session_scope(self.deps.sessions) as session:
            await item_flows.mark_posted(
                session=session, item_id=item.id, channel_id=item.incident_channel, ts=ts
            )

    async def item_refresh(self, work: due.Claimed) -> None:
        """Edit an item's message after a change (nothing to do before it was posted)."""
        item = await self._item(work)
        if item.channel_id is None or item.message_ts is None:
            return
        await self.gateway.update(
            item.channel_id,
            item.message_ts,
            followup_blocks.item_text(item),
            followup_blocks.item_blocks(item, self._today()),
        )

    async def arm(self, work: due.Claimed) -> None:
        """Look up the owner's time zone, then schedule the reminder and overdue notices."""
        item = await self._item(work)
        tz = await self.gateway.user_tz(item.owner_id, default=self.deps.config.followup.timezone)
        async with session_scope(self.deps.sessions) as session:
            await item_flows.arm(
                session=session,
                item_id=item.id,
                due_on=_due(work),
                tz=tz,
                now=self.deps.clock(),
            )

    async def remind(self, work: due.Claimed) -> None:
        """Remind the owner of an item due in two days."""
        item = await self._still_due(work)
        if item is not None:
            await self.gateway.dm(item.owner_id, followup_text.reminder(item, self._today()))

    async def overdue_owner(self, work: due.Claimed) -> None:
        """Tell the owner their item is overdue."""
        item = await self._still_due(work)
        if item is not None:
            await self.gateway.dm(item.owner_id, followup_text.overdue_owner(item))

    async def overdue_managers(self, work: due.Claimed) -> None:
        """Tell the managers' channel an item is overdue."""
        channel = self.deps.config.channels.managers
        item = await self._still_due(work) if channel else None
        if channel and item is not None:
            await self.gateway.post(channel, followup_text.overdue_managers(item))

    async def digest(self, work: due.Claimed) -> None:
        """Post the weekly digest of open and overdue items, then schedule the next one."""
        config = self.deps.config
        channel = config.followup.digest.channel or config.channels.managers
        now = self.deps.clock()
        async with session_scope(self.deps.sessions) as session:
            found = await item_flows.digest(session=session, config=config, now=now)
        if channel and found.open_count:
            await self.gateway.post(channel, followup_text.digest(found))
        scheduled = datetime.fromisoformat(work.subject_key.removeprefix("weekly:"))
        async with session_scope(self.deps.sessions) as session:
            await item_flows.schedule_digest(
                session=session, config=config, after=max(now, scheduled)
            )

    async def _item(self, work: due.Claimed) -> ItemRecord:
        async with session_scope(self.deps.sessions) as session:
            return await item_flows.get(session=session, item_id=int(work.payload["item"]))

    async def _still_due(self, work: due.Claimed) -> ItemRecord | None:
        async with session_scope(self.deps.sessions) as session:
            return await item_flows.still_due(
                session=session, item_id=int(work.payload["item"]), due_on=_due(work)
            )


def _due(work: due.Claimed) -> date:
    return date.fromisoformat(str(work.payload["due"]))
