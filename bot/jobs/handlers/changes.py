"""What changed: the report when the channel opens, and changes that arrive while it is open."""

from __future__ import annotations

from bot.db import session_scope
from bot.errors import NotYet
from bot.flows import changes as change_flows
from bot.jobs.handlers.common import Handler, JobEnv, once, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.slack.blocks import changes as change_blocks


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """Post the change report and change arrivals in the incident channel."""

    async def on_open(item: Claimed) -> None:
        assert item.incident_id is not None
        async with session_scope(env.deps.sessions) as session:
            report = await change_flows.report(
                session=session, incident_id=item.incident_id, now=env.deps.clock()
            )
        if report.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        if report.subjects:  # with no feature or service there is nothing to match
            await env.need_slack().post(
                report.channel_id,
                change_blocks.report_text(report),
                change_blocks.report_blocks(report),
                once=once(item),
            )

    async def on_arrival(item: Claimed) -> None:
        assert item.incident_id is not None
        async with session_scope(env.deps.sessions) as session:
            arrival = await change_flows.arrival(
                session=session,
                incident_id=item.incident_id,
                change_id=int(item.payload["change"]),
                now=env.deps.clock(),
            )
        if arrival is not None:
            text = change_blocks.arrival_text(arrival)
            await env.need_slack().post(arrival.channel_id, text, once=once(item))

    return slack_handlers(
        env, {JobKind.CHANGES_ON_OPEN: on_open, JobKind.CHANGE_ARRIVAL: on_arrival}
    )
