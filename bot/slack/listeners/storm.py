"""`/incident split <n>`: open one alert group of a storm incident as an incident of its own."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.errors import BadInput
from bot.flows import storm as storm_flows
from bot.slack.context import SlackContext
from bot.slack.subcommand import Invocation, Reply, Subcommand
from bot.slack.text import esc, user

USAGE = (
    "`/incident split <n>` — in an alert storm's channel, open its group <n> "
    "(as the summary numbers them) as an incident of its own"
)


def _check(rest: str, usage: str) -> int:
    word = rest.strip()
    if not word.isdigit() or not 0 < int(word) < 10_000:
        raise BadInput(f"Usage: {usage}")
    return int(word)


async def split(ctx: SlackContext, call: Invocation) -> Reply:
    """Split a stormed group out; the storm's channel is told, the new channel opens."""
    number = _check(call.rest, USAGE)
    async with ctx.incident_flow(call.channel_id) as (session, storm):
        new = await storm_flows.split(
            session=session,
            config=ctx.deps.config,
            incident_id=storm.id,
            number=number,
            actor=call.user_id,
            now=ctx.deps.clock(),
        )
        opened = f"#{new.number} {esc(new.title)}"
    await ctx.gateway.post(
        call.channel_id, f"✂️ {user(call.user_id)} split group {number} out as incident {opened}."
    )
    return None


SUBCOMMANDS: list[Subcommand] = [Subcommand("split", USAGE, split, _check)]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """No buttons or modals of its own."""
