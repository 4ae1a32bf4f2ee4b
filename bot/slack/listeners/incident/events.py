"""Events: a 📌 reaction or a pin in an incident channel puts the message on the timeline."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.flows import incidents as incident_flows
from bot.slack.context import SlackContext
from bot.slack.listening import listen

PIN_REACTIONS = {"pushpin", "round_pushpin"}


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register event handlers."""

    async def reaction_added(event: dict[str, Any]) -> None:
        item = event.get("item", {})
        if event.get("reaction") not in PIN_REACTIONS or item.get("type") != "message":
            return
        message = await ctx.gateway.message(item["channel"], item["ts"])
        if message is None:
            return
        await _capture(ctx, item["channel"], message, actor=event["user"])

    async def pin_added(event: dict[str, Any]) -> None:
        item = event.get("item", {})
        message = item.get("message")
        if item.get("type") != "message" or not message:
            return
        await _capture(
            ctx, event.get("channel_id") or item["channel"], message, actor=event["user"]
        )

    listen(app.event("reaction_added"), reaction_added)
    listen(app.event("pin_added"), pin_added)


async def _capture(ctx: SlackContext, channel: str, message: dict[str, Any], actor: str) -> None:
    async with ctx.flow() as session:
        await incident_flows.capture_message(
            session=session,
            channel_id=channel,
            message_ts=message["ts"],
            text=message.get("text", ""),
            author=message.get("user", ""),
            actor=actor,
        )
