"""The eval loop in Slack: the "Run evals" button and `/incident evals`.

Their work (the call to the eval runner) runs in bot/jobs/handlers/signals.py.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import eval_loop
from bot.slack.blocks import signals as signal_blocks
from bot.slack.context import SlackContext
from bot.slack.ids import ActionId
from bot.slack.listening import listen
from bot.slack.subcommand import Invocation, Reply, Subcommand

USAGE = "`/incident evals` — ask the eval runner to run the feature's suites"


async def _request(
    ctx: SlackContext, session: AsyncSession, incident_id: int, user_id: str
) -> eval_loop.Requested:
    return await eval_loop.request(
        session=session,
        config=ctx.deps.config,
        jinja_env=ctx.deps.templates,
        incident_id=incident_id,
        actor=user_id,
        now=ctx.deps.clock(),
    )


async def evals(ctx: SlackContext, call: Invocation) -> Reply:
    """Ask the eval runner for a run of this incident's feature."""
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        done = await _request(ctx, session, incident.id, call.user_id)
    await ctx.gateway.post(call.channel_id, signal_blocks.requested_text(done, call.user_id))
    return None


SUBCOMMANDS: list[Subcommand] = [Subcommand("evals", USAGE, evals)]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """The "Run evals" button: one call to the eval runner per click."""

    async def run_evals(body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        async with ctx.flow() as session:
            done = await _request(ctx, session, int(action["value"]), user_id)
        channel = (body.get("channel") or {}).get("id") or done.channel_id
        if channel:
            await ctx.gateway.post(channel, signal_blocks.requested_text(done, user_id))

    listen(app.action(ActionId.RUN_EVALS), run_evals)
