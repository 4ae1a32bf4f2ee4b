"""`/incident page <target>` and the on-call offer's button (its work: handlers/paging.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.errors import BadInput
from bot.flows import incidents as incident_flows
from bot.flows import paging as paging_flows
from bot.slack import button_value
from bot.slack.blocks import paging as paging_blocks
from bot.slack.blocks import replies
from bot.slack.context import SlackContext
from bot.slack.ids import ActionId
from bot.slack.listening import listen
from bot.slack.subcommand import Invocation, Reply, Subcommand
from bot.vocabulary import Role

USAGE = "`/incident page <target>` — page a PagerDuty service's on-call for this incident"


def _check(rest: str, usage: str) -> str:
    if not rest.strip():
        raise BadInput(f"Usage: {usage}")
    return rest.strip()


async def page(ctx: SlackContext, call: Invocation) -> Reply:
    """Page a configured target; the channel is told, the event goes out through the worker."""
    target = _check(call.rest, USAGE)
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        shown, new = await paging_flows.page(
            session=session,
            config=ctx.deps.config,
            incident_id=incident.id,
            target=target,
            actor=call.user_id,
            now=ctx.deps.clock(),
        )
    if not new:
        return paging_blocks.page_reply(shown, new, call.user_id)
    await ctx.gateway.post(call.channel_id, paging_blocks.page_reply(shown, new, call.user_id))
    return None


SUBCOMMANDS: list[Subcommand] = [Subcommand("page", USAGE, page, _check)]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """The on-call offer's "Make … commander" button."""

    async def make_commander(body: dict[str, Any], action: dict[str, Any]) -> None:
        incident_id, user_id = button_value.decode(action["value"], 2)
        async with ctx.flow() as session:
            change = await incident_flows.assign_role(
                session=session,
                incident_id=int(incident_id),
                role=Role.COMMANDER,
                user_id=user_id,
                actor=body["user"]["id"],
                now=ctx.deps.clock(),
            )
        channel = (body.get("channel") or {}).get("id")
        if channel:
            await ctx.gateway.post(channel, replies.role_changed(change))

    listen(app.action(ActionId.OFFER_COMMANDER), make_commander)
