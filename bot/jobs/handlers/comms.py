"""Comms work: owe the first update, keep draft cards current, publish, remind.

Publishing is never retried silently (a failure is shown on the card with a Retry button), and
never sent twice: each attempt is recorded before sending, and an attempt after one that may
have got through first looks for what it sent (Slack message key, Statuspage's incident, the
webhook's Idempotency-Key).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.comms import clients as comms_clients
from bot.comms import targets as comms_targets
from bot.comms.clients import Delivery
from bot.db import session_scope
from bot.errors import NotYet
from bot.flows import comms_delivery
from bot.jobs.handlers.common import Handler, JobEnv, once, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.slack import publish as slack_publish
from bot.slack.blocks import comms as comms_blocks
from bot.slack.gateway import PostKey


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """Comms work: arming and publishing run without Slack; cards and reminders need it."""
    work = _CommsWork(env)
    return {
        JobKind.COMMS_ARM: work.arm,
        JobKind.COMMS_PUBLISH: work.publish,
        **slack_handlers(
            env, {JobKind.COMMS_CARD: work.refresh_card, JobKind.COMMS_REMIND: work.remind}
        ),
    }


@dataclass
class _CommsWork:
    env: JobEnv

    async def arm(self, item: Claimed) -> None:
        """Owe the first update (and the safety notice) once the incident channel exists."""
        assert item.incident_id is not None
        deps = self.env.deps
        async with session_scope(deps.sessions) as session:
            await comms_delivery.arm(
                session=session, config=deps.config, incident_id=item.incident_id, now=deps.clock()
            )

    async def refresh_card(self, item: Claimed) -> None:
        """Post the draft card in the incident channel, or edit it in place (one run per draft
        at a time, across workers: the work's subject is the draft)."""
        deps, slack = self.env.deps, self.env.need_slack()
        draft_id = int(item.payload["draft_id"])
        async with session_scope(deps.sessions) as session:
            card = await comms_delivery.card(session=session, config=deps.config, draft_id=draft_id)
        if card is None:
            return
        if card.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        text, blocks = comms_blocks.card_text(card), comms_blocks.card_blocks(card)
        if card.message_ts is not None:
            await slack.update(card.channel_id, card.message_ts, text, blocks)
            return
        key = PostKey(f"comms-card:{draft_id}", may_exist=item.attempts > 1)
        ts = await slack.post(card.channel_id, text, blocks, once=key)
        async with session_scope(deps.sessions) as session:
            await comms_delivery.set_card_ts(session=session, draft_id=draft_id, ts=ts)

    async def publish(self, item: Claimed) -> None:
        """Send one approved version to one target and record how it went."""
        deps = self.env.deps
        publication_id = int(item.payload["publication_id"])
        async with session_scope(deps.sessions) as session:
            job = await comms_delivery.delivery_job(
                session=session, config=deps.config, publication_id=publication_id
            )
        if job is None:
            return
        delivery = await self._deliver(job)
        async with session_scope(deps.sessions) as session:
            await comms_delivery.record_delivery(
                session=session, publication_id=publication_id, delivery=delivery, now=deps.clock()
            )

    async def _deliver(self, job: comms_delivery.Job) -> Delivery:
        deps, target = self.env.deps, job.target
        if isinstance(target, comms_targets.SlackTarget):
            if self.env.slack is None:
                return Delivery(ok=False, error="Slack is not configured in this process")
            key = PostKey(f"comms:{job.publication_id}", may_exist=job.may_have_sent)
            return await slack_publish.to_slack(self.env.slack, target, job.message, key)
        if isinstance(target, comms_targets.StatuspageTarget):
            return await comms_clients.to_statuspage(
                deps.http,
                deps.environ,
                target,
                job.message,
                job.remote_id,
                may_have_sent=job.may_have_sent,
            )
        if isinstance(target, comms_targets.WebhookTarget):
            return await comms_clients.to_webhook(
                deps.http,
                deps.environ,
                target,
                job.message,
                idempotency_key=f"incidentbot-publication-{job.publication_id}",
            )
        return Delivery(ok=False, error=f"the target {job.target_name} is no longer configured")

    async def remind(self, item: Claimed) -> None:
        """Remind the comms lead in the channel that a communication is due."""
        assert item.incident_id is not None
        deps = self.env.deps
        async with session_scope(deps.sessions) as session:
            notice = await comms_delivery.reminder(
                session=session,
                incident_id=item.incident_id,
                payload=item.payload,
                now=deps.clock(),
            )
        if notice is None:
            return
        if notice.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        await self.env.need_slack().post(
            notice.channel_id,
            comms_blocks.reminder_text(notice),
            comms_blocks.reminder_blocks(notice),
            once=once(item),
        )
