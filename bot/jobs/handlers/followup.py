"""Follow-up work: eval notices, item messages, reminders, overdue notices, the weekly digest.

Every handler re-reads the database first, so running one twice, late, or after the item changed
posts nothing wrong: a reminder for a finished item or an old due date does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.db import session_scope
from bot.errors import NotYet
from bot.flows import action_items as item_flows
from bot.flows import fix_validation
from bot.jobs.handlers.common import Handler, JobEnv, once, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.postmortem.store import ItemRecord
from bot.slack.blocks import followup as followup_blocks
from bot.slack.blocks import followup_text
from bot.slack.blocks.home import home_view
from bot.slack.gateway import PostKey


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """Follow-up work (all of it in Slack)."""
    work = _FollowupWork(env)
    return slack_handlers(
        env,
        {
            JobKind.EVAL_POSTED: work.eval_posted,
            JobKind.ITEM_POST: work.item_post,
            JobKind.ITEM_REFRESH: work.item_refresh,
            JobKind.ITEM_ARM: work.arm,
            JobKind.ITEM_REMIND: work.remind,
            JobKind.OVERDUE_OWNER: work.overdue_owner,
            JobKind.OVERDUE_MANAGERS: work.overdue_managers,
            JobKind.DIGEST: work.digest,
            JobKind.ITEM_HOME: work.home,
        },
    )


@dataclass
class _FollowupWork:
    env: JobEnv

    def _today(self) -> date:
        return item_flows.today(self.env.deps.config, self.env.deps.clock())

    async def eval_posted(self, work: Claimed) -> None:
        """Show an eval run in the incident channel with what it means for the fix."""
        assert work.incident_id is not None
        deps = self.env.deps
        async with session_scope(deps.sessions) as session:
            notice = await fix_validation.notice(
                session=session,
                config=deps.config,
                incident_id=work.incident_id,
                run_id=int(work.payload["eval_run_id"]),
            )
        if notice is None:
            return
        if notice.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        text = followup_text.eval_notice(notice)
        await self.env.need_slack().post(notice.channel_id, text, once=once(work))

    async def item_post(self, work: Claimed) -> None:
        """Post an item's message with its buttons, once."""
        item = await self._item(work)
        if item.message_ts is not None:
            return
        if item.incident_channel is None:
            raise NotYet("the incident channel does not exist yet")
        ts = await self.env.need_slack().post(
            item.incident_channel,
            followup_blocks.item_text(item),
            followup_blocks.item_blocks(item, self._today()),
            once=PostKey(f"item:{item.id}", may_exist=work.attempts > 1),
        )
        async with session_scope(self.env.deps.sessions) as session:
            await item_flows.mark_posted(
                session=session, item_id=item.id, channel_id=item.incident_channel, ts=ts
            )

    async def item_refresh(self, work: Claimed) -> None:
        """Edit an item's message after a change (nothing to do before it was posted)."""
        item = await self._item(work)
        if item.channel_id is None or item.message_ts is None:
            return
        await self.env.need_slack().update(
            item.channel_id,
            item.message_ts,
            followup_blocks.item_text(item),
            followup_blocks.item_blocks(item, self._today()),
        )

    async def arm(self, work: Claimed) -> None:
        """Look up the owner's time zone, then schedule the reminder and overdue notices."""
        deps = self.env.deps
        item = await self._item(work)
        tz = await self.env.need_slack().user_tz(
            item.owner_id, default=deps.config.followup.timezone
        )
        async with session_scope(deps.sessions) as session:
            await item_flows.arm(
                session=session, item_id=item.id, due_on=_due(work), tz=tz, now=deps.clock()
            )

    async def remind(self, work: Claimed) -> None:
        """Remind the owner of an item due in two days."""
        item = await self._still_due(work)
        if item is not None:
            text = followup_text.reminder(item, self._today())
            await self.env.need_slack().dm(item.owner_id, text, once=once(work))

    async def overdue_owner(self, work: Claimed) -> None:
        """Tell the owner their item is overdue."""
        item = await self._still_due(work)
        if item is not None:
            text = followup_text.overdue_owner(item)
            await self.env.need_slack().dm(item.owner_id, text, once=once(work))

    async def overdue_managers(self, work: Claimed) -> None:
        """Tell the managers' channel an item is overdue."""
        channel = self.env.deps.config.channels.managers
        item = await self._still_due(work) if channel else None
        if channel and item is not None:
            text = followup_text.overdue_managers(item)
            await self.env.need_slack().post(channel, text, once=once(work))

    async def digest(self, work: Claimed) -> None:
        """Post the weekly digest of open and overdue items, then schedule the next one."""
        deps = self.env.deps
        config = deps.config
        channel = config.followup.digest.channel or config.channels.managers
        now = deps.clock()
        async with session_scope(deps.sessions) as session:
            found = await item_flows.digest(session=session, config=config, now=now)
        if channel and (found.open_count or found.finished):
            await self.env.need_slack().post(channel, followup_text.digest(found), once=once(work))
        scheduled = datetime.fromisoformat(work.subject_key.removeprefix("weekly:"))
        async with session_scope(deps.sessions) as session:
            await item_flows.schedule_digest(
                session=session, config=config, after=max(now, scheduled)
            )

    async def home(self, work: Claimed) -> None:
        """Republish one person's App Home after their items changed."""
        deps = self.env.deps
        async with session_scope(deps.sessions) as session:
            data = await item_flows.home(
                session=session, config=deps.config, user_id=work.subject_key, now=deps.clock()
            )
        await self.env.need_slack().publish_home(work.subject_key, home_view(data))

    async def _item(self, work: Claimed) -> ItemRecord:
        async with session_scope(self.env.deps.sessions) as session:
            return await item_flows.get(session=session, item_id=int(work.payload["item"]))

    async def _still_due(self, work: Claimed) -> ItemRecord | None:
        async with session_scope(self.env.deps.sessions) as session:
            return await item_flows.still_due(
                session=session, item_id=int(work.payload["item"]), due_on=_due(work)
            )


def _due(work: Claimed) -> date:
    return date.fromisoformat(str(work.payload["due"]))
