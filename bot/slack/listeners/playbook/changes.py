"""What changed, in Slack: posted when the channel opens, on arrival, and `/incident changes`."""

from __future__ import annotations

from bot.changes.rules import MAX_DAYS
from bot.errors import BadInput
from bot.flows import changes as change_flows
from bot.slack.blocks import changes as change_blocks
from bot.slack.context import SlackContext
from bot.slack.subcommand import Invocation, Reply, Subcommand

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
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        report = await change_flows.report(
            session=session, incident_id=incident.id, now=ctx.deps.clock(), days=days
        )
    blocks = [block.to_dict() for block in change_blocks.report_blocks(report)]
    await ctx.gateway.ephemeral_blocks(
        call.channel_id, call.user_id, change_blocks.report_text(report), blocks
    )
    return None


SUBCOMMANDS = [Subcommand("changes", USAGE, _changes, parse_days)]
