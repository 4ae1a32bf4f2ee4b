"""Comms due work: owe the first update, keep draft cards current, publish, remind."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

from bot import due
from bot.comms import clients as comms_clients
from bot.comms import obligations as comms_obligations
from bot.comms import targets as comms_targets
from bot.comms.clients import Delivery
from bot.db import session_scope
from bot.flows import comms as comms_flows
from bot.flows import comms_delivery, comms_publish
from bot.jobs import Handler, RetryLater
from bot.slack.blocks import comms as comms_blocks
from bot.slack.context import SlackContext

ARM = "comms.arm"
ON_CHANNEL_OPEN: tuple[str, ...] = (ARM,)


def work_handlers(ctx: SlackContext) -> dict[str, Handler]:
    """Due-work kinds the comms feature runs."""
    work = CommsWork(ctx)
    return {
        ARM: work.arm,
        comms_flows.REFRESH_CARD: work.refresh_card,
        comms_publish.PUBLISH: work.publish,
        comms_obligations.REMIND: work.remind,
    }


@dataclass
class CommsWork:
    ctx: SlackContext
    # Two refreshes of one card may run in the same batch; only one may post it.
    _locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )

    async def arm(self, item: due.Claimed) -> None:
        """Owe the first update (and the safety notice) once the incident channel exists."""
        assert item.incident_id is not None
        async with session_scope(self.ctx.deps.sessions) as session:
            await comms_delivery.arm(
                session=session,
                config=self.ctx.deps.config,
                incident_id=item.incident_id,
                now=self.ctx.deps.clock(),
            )
        self.ctx.worker.wake()

    async def refresh_card(self, item: due.Claimed) -> None:
        """Post the draft card in the incident channel, or edit it in place."""
        draft_id = int(item.payload["draft_id"])
        async with self._locks[draft_id]:
            async with session_scope(self.ctx.deps.sessions) as session:
                card = await comms_delivery.card(
                    session=session, config=self.ctx.deps.config, draft_id=draft_id
                )
            if card is None:
                return
            if card.channel_id is None:
                raise RetryLater("the incident channel does not exist yet")
            text, blocks = comms_blocks.card_text(card), comms_blocks.card_blocks(card)
            if card.message_ts is not None:
                await self.ctx.gateway.update(card.channel_id, card.message_ts, text, blocks)
                return
            ts = await self.ctx.gateway.post(card.channel_id, text, blocks)
            async with session_scope(self.ctx.deps.sessions) as session:
                await comms_delivery.set_card_ts(session=session, draft_id=draft_id, ts=ts)

    async def publish(self, item: due.Claimed) -> None:
        """Send one approved version to one target and record how it went (never retried
        silently: a failure is shown on the card with a Retry button)."""
        publication_id = int(item.payload["publication_id"])
        async with session_scope(self.ctx.deps.sessions) as session:
            job = await comms_delivery.delivery_job(
                session=session, config=self.ctx.deps.config, publication_id=publication_id
            )
        if job is None:
            return
        delivery = await self._deliver(job)
        async with session_scope(self.ctx.deps.sessions) as session:
            await comms_delivery.record_delivery(
                session=session,
                publication_id=publication_id,
                delivery=delivery,
                now=self.ctx.deps.clock(),
            )
        self.ctx.worker.wake()

    async def _deliver(self, job: comms_delivery.Job) -> Delivery:
        deps, target = self.ctx.deps, job.target
        if isinstance(target, comms_targets.SlackTarget):
            return await self._to_slack(target, job.message)
        if isinstance(target, comms_targets.StatuspageTarget):
            return await comms_clients.to_statuspage(
                deps.http, deps.environ, target, job.message, job.remote_id
            )
        if isinstance(target, comms_targets.WebhookTarget):
            return await comms_clients.to_webhook(deps.http, deps.environ, target, job.message)
        return Delivery(ok=False, error=f"the target {job.target_name} is no longer configured")

    async def _to_slack(
        self, target: comms_targets.SlackTarget, message: comms_clients.Message
    ) -> Delivery:
        text = comms_blocks.published_text(message.title, message.text)
        blocks = comms_blocks.message_sections(message.title, message.text)
        try:
            ts = await self.ctx.gateway.post(target.channel, text, list(blocks))
        except SlackApiError as exc:
            return Delivery(ok=False, error=f"Slack: {exc.response.get('error', exc)}")
        except (ClientError, TimeoutError) as exc:
            return Delivery(ok=False, error=f"Slack unreachable: {exc!r}")
        return Delivery(ok=True, external_id=ts)

    async def remind(self, item: due.Claimed) -> None:
        """Remind the comms lead in the channel that a communication is due."""
        assert item.incident_id is not None
        async with session_scope(self.ctx.deps.sessions) as session:
            notice = await comms_delivery.reminder(
                session=session,
                incident_id=item.incident_id,
                payload=item.payload,
                now=self.ctx.deps.clock(),
            )
        if notice is None:
            return
        if notice.channel_id is None:
            raise RetryLater("the incident channel does not exist yet")
        await self.ctx.gateway.post(
            notice.channel_id,
            comms_blocks.reminder_text(notice),
            comms_blocks.reminder_blocks(notice),
        )
