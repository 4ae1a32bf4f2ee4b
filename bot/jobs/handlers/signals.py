"""Quality signals: the detector's runs, control charts in incident channels, the eval loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.containment import clients as containment_clients
from bot.db import session_scope
from bot.errors import NotYet
from bot.flows import eval_loop
from bot.flows import signal_charts as chart_flows
from bot.flows import signals as signal_flows
from bot.jobs.handlers.common import Handler, JobEnv, once, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.signals import render
from bot.slack.blocks import signals as signal_blocks
from bot.slack.documents import SlackDocuments
from bot.vocabulary import ChartPhase


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """The detector runs in every worker; charts and the eval loop need Slack."""
    work = _Work(env)
    return {JobKind.SIGNALS_DETECT: work.detect} | slack_handlers(
        env, {JobKind.CHART_UPLOAD: work.chart, JobKind.EVAL_REQUEST: work.evals}
    )


@dataclass
class _Work:
    env: JobEnv

    async def detect(self, item: Claimed) -> None:
        """Run the detector over every point it has not seen, a batch per transaction."""
        deps = self.env.deps
        while True:
            async with session_scope(deps.sessions) as session:
                result = await signal_flows.detect(
                    session=session, config=deps.config, now=deps.clock()
                )
            deps.metrics.signal_points.inc(result.points)
            if not result.more:
                return

    async def chart(self, item: Claimed) -> None:
        """Share the incident's control chart in its channel (the upload is made once)."""
        assert item.incident_id is not None
        deps, phase = self.env.deps, ChartPhase(item.payload["phase"])
        async with session_scope(deps.sessions) as session:
            job = await chart_flows.job(session=session, incident_id=item.incident_id, phase=phase)
            data = await chart_flows.chart(
                session=session, config=deps.config, incident_id=item.incident_id, now=deps.clock()
            )
        if data is None or job.shared:
            return
        if job.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        slack = SlackDocuments(self.env.need_slack().client)
        file_id = job.file_id
        if file_id is None or not await slack.shared_in(file_id, job.channel_id):
            content = await asyncio.to_thread(render.png, data)
            name = f"incident-{job.number}-{data.signal}-{phase}.png".replace("/", "-")
            file_id, url = await slack.reserve_upload(name, len(content))
            async with session_scope(deps.sessions) as session:
                await chart_flows.file_reserved(
                    session=session, incident_id=job.incident_id, phase=phase, file_id=file_id
                )
            await slack.upload(url, content)
            await slack.share(
                file_id,
                signal_blocks.chart_title(data, phase),
                job.channel_id,
                signal_blocks.chart_comment(data, phase),
            )
        link = await slack.permalink(file_id)
        async with session_scope(deps.sessions) as session:
            await chart_flows.file_shared(
                session=session,
                incident_id=job.incident_id,
                phase=phase,
                permalink=link,
                now=deps.clock(),
            )

    async def evals(self, item: Claimed) -> None:
        """Post the "Run evals" offer, or make one request's call to the eval runner."""
        if item.payload.get("offer"):
            await self._offer(item)
            return
        deps, request_id = self.env.deps, int(item.payload["request"])
        async with session_scope(deps.sessions) as session:
            plan = await eval_loop.to_send(session=session, request_id=request_id)
        if plan is None:
            return
        settings = deps.config.containment
        outcome = await containment_clients.execute(
            plan,
            deps.http,
            secrets=deps.environ,
            timeout_s=settings.timeout_s,
            retries=settings.retries,
            backoff_s=settings.backoff_s,
        )
        async with session_scope(deps.sessions) as session:
            done = await eval_loop.sent(
                session=session, request_id=request_id, outcome=outcome, now=deps.clock()
            )
        if done is not None and done.channel_id is not None:
            await self.env.need_slack().post(done.channel_id, done.text, once=once(item))

    async def _offer(self, item: Claimed) -> None:
        assert item.incident_id is not None
        async with session_scope(self.env.deps.sessions) as session:
            shown = await eval_loop.offer(
                session=session, config=self.env.deps.config, incident_id=item.incident_id
            )
        if shown.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        await self.env.need_slack().post(
            shown.channel_id,
            signal_blocks.offer_text(shown),
            signal_blocks.offer_blocks(shown),
            once=once(item),
        )
