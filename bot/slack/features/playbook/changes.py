"""What changed, in Slack: posted when the channel opens, on arrival, and `/incident changes`."""

from __future__ import annotations

from bot import due
from bot.changes.rules import MAX_DAYS
from bot.db import session_scope
from bot.errors import BadInput
from bot.flows import changes as change_flows
from bot.flows import incidents as incident_flows
from bot.jobs import Handler, RetryLater
from bot.slack.blocks import changes as change_blocks
from bot.slack.context import SlackContext
from bot.slack.subcommand import Invocation, Reply, Subcommand

ON_CHANNEL_OPEN = (change_flows.POST_ON_OPEN,)
USAGE = (
    "`/incident changes [days]` — model, prompt, index, deploy and traffic changes to this "
    "incident's feature near its first alert (default 7 days, traffic 48 h)"
)


def parse_days(rest: str, usage: str) -> int | None:
    """Parse the optional number of days (1–90)."""
    if not rest:
        return None
    if not rest.isdigit() or not 1 <= int(rest) <= MAX_DAYS:
        raise BadInput(f"Give a number of days from 1 to {MAX_DAYS}. Usage: {usage}")
    return int(rest)


async def _changes(ctx: SlackContext, call: Invocation) -> Reply:
    days = parse_days(call.rest, USAGE)
    async with ctx.flow() as session:
        incident = await incident_flows.in_channel(session=session, channel_id=call.channel_id)
        report = await change_flows.report(
            session=session, incident_id=incident.id, now=ctx.deps.clock(), days=days
        )
    blocks = [block.to_dict() for block in change_blocks.report_blocks(report)]
    await ctx.gateway.ephemeral_blocks(
        call.channel_id, call.user_id, change_blocks.report_text(report), blocks
    )
    return None


SUBCOMMANDS = [Subcommand("changes", USAGE, _changes, parse_days)]


def work_handlers(ctx: SlackContext) -> dict[str, Handler]:
    """Post the report when the channel opens, and changes that arrive while it is open."""

    async def on_open(item: due.Claimed) -> None:
        assert item.incident_id is not None
        async with session_scope(ctx.deps.sessions) as session:
            report = await change_flows.report(
                session=session, incident_id=item.incident_id, now=ctx.deps.clock()
            )
        if report.channel_id is None:
            raise RetryLater("the incident channel does not exist yet")
        if report.subjects:  # with no feature or service there is nothing to match
            await ctx.gateway.post(
                report.channel_id,
                change_blocks.report_text(report),
                change_blocks.report_blocks(report),
            )

    async def on_arrival(item: due.Claimed) -> None:
        assert item.incident_id is not None
        async with session_scope(ctx.deps.sessions) as session:
            arrival = await change_flows.arrival(
                session=session,
                incident_id=item.incident_id,
                change_id=int(item.payload["change"]),
                now=ctx.deps.clock(),
            )
        if arrival is not None:
            await ctx.gateway.post(arrival.channel_id, change_blocks.arrival_text(arrival))

    return {
        change_flows.POST_ON_OPEN: on_open,
        change_flows.POST_ARRIVAL: on_arrival,
    }
