"""Paging work: send a page's events to PagerDuty in order; offer the on-call as commander.

Events need no Slack and carry the page's dedup key, so resending one after an unanswered
request acts on the same page. An outage is retried until PagerDuty answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import session_scope
from bot.errors import RetryLater
from bot.flows import oncall as oncall_flows
from bot.flows import paging as paging_flows
from bot.jobs.handlers.common import Handler, JobEnv, once, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.paging import pagerduty, rules
from bot.remote import Refused, need_env
from bot.slack.blocks import paging as paging_blocks
from bot.vocabulary import PageState


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """Page events (no Slack needed) and the on-call offer (in Slack)."""
    work = _PagingWork(env)
    return {
        JobKind.PAGE_SEND: work.send,
        **slack_handlers(env, {JobKind.ONCALL_OFFER: work.offer}),
    }


@dataclass
class _PagingWork:
    env: JobEnv

    async def send(self, item: Claimed) -> None:
        """Send the events that bring the page to what it should show."""
        deps, page_id = self.env.deps, int(item.payload["page"])
        async with session_scope(deps.sessions) as session:
            job = await paging_flows.start_send(
                session=session, config=deps.config, page_id=page_id, now=deps.clock()
            )
        if job is None:
            return
        remote_id = job.remote_id
        try:
            for state in job.events:
                if job.target.escalation_policy:
                    remote_id = await self._rest_event(job, state, remote_id)
                else:
                    await self._event(job, state)
                async with session_scope(deps.sessions) as session:
                    await paging_flows.sent(
                        session=session,
                        page_id=page_id,
                        state=state,
                        now=deps.clock(),
                        remote_id=remote_id,
                    )
        except (RetryLater, Refused) as exc:
            retrying = isinstance(exc, RetryLater)
            async with session_scope(deps.sessions) as session:
                await paging_flows.failed(
                    session=session,
                    page_id=page_id,
                    error=str(exc),
                    retrying=retrying,
                    now=deps.clock(),
                )
            if retrying:
                raise

    async def _event(self, job: paging_flows.SendJob, state: PageState) -> None:
        """Send one Events API v2 event for a service's page."""
        deps, target = self.env.deps, job.target
        assert target.routing_key_env is not None
        key = need_env(deps.environ, target.routing_key_env)
        body = rules.event_body(target, key, state, job.dedup_key, job.incident)
        await pagerduty.send_event(deps.http, target.events_url, body)

    async def _rest_event(
        self, job: paging_flows.SendJob, state: PageState, remote_id: str | None
    ) -> str:
        """Create, acknowledge or resolve an escalation policy's incident; its id."""
        target, rest = job.target, self._rest(writes=True)
        assert target.service is not None
        if remote_id is None and (job.may_exist or state is not PageState.TRIGGERED):
            remote_id = await pagerduty.open_incident(rest, target.service, job.dedup_key)
        if state is PageState.TRIGGERED:
            if remote_id is None:
                body = rules.rest_incident(target, job.dedup_key, job.incident)
                remote_id = await pagerduty.create_incident(rest, body)
            return remote_id
        if remote_id is None:
            raise Refused("PagerDuty: the page's incident is no longer open")
        await pagerduty.set_status(rest, remote_id, state.value)
        return remote_id

    def _rest(self, *, writes: bool = False) -> pagerduty.Rest:
        deps, api = self.env.deps, self.env.deps.config.paging.api
        token = need_env(deps.environ, api.token_env)
        return pagerduty.Rest(deps.http, api.url, token, api.from_email if writes else None)

    async def offer(self, item: Claimed) -> None:
        """Post who is on call now, with a button making them commander (unless there is one)."""
        assert item.incident_id is not None
        deps, slack = self.env.deps, self.env.need_slack()
        oncall = deps.config.paging.oncall
        if oncall is None:
            return
        async with session_scope(deps.sessions) as session:
            channel = await oncall_flows.still_without_commander(
                session=session, incident_id=item.incident_id
            )
        if channel is None:
            return
        try:
            person = await pagerduty.on_call(self._rest(), oncall.schedule_id)
        except Refused as exc:
            offer = paging_blocks.Offer(item.incident_id, None, None, str(exc))
        else:
            user = await slack.lookup_email(person.email) if person and person.email else None
            if user is not None:
                await slack.invite(channel, [user])
            offer = paging_blocks.Offer(item.incident_id, person, user)
        await slack.post(
            channel,
            paging_blocks.offer_text(offer),
            paging_blocks.offer_blocks(offer),
            once=once(item),
        )
