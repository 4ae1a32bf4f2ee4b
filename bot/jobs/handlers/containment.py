"""Containment runs: post (or edit) the message that shows how a run went."""

from __future__ import annotations

from bot.db import session_scope
from bot.errors import NotYet
from bot.flows import containment_report as report_flows
from bot.jobs.handlers.common import Handler, JobEnv, once, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.slack.blocks import containment as containment_blocks


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """The outcome message of a containment run."""

    async def report(item: Claimed) -> None:
        run_id = int(item.payload["run"])
        async with session_scope(env.deps.sessions) as session:
            view = await report_flows.run_view(session=session, run_id=run_id)
        if view.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        slack = env.need_slack()
        text = containment_blocks.outcome_text(view)
        blocks = containment_blocks.outcome_blocks(view)
        if view.message_ts is not None:
            await slack.update(view.channel_id, view.message_ts, text, blocks)
            return
        ts = await slack.post(view.channel_id, text, blocks, once=once(item, f"run:{run_id}"))
        async with session_scope(env.deps.sessions) as session:
            await report_flows.reported(session=session, run_id=run_id, ts=ts)

    return slack_handlers(env, {JobKind.REPORT_RUN: report})
