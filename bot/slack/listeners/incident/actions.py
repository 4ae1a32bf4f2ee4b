"""Buttons: ack, parse the value, call one flow, present the result."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.flows import incidents as incident_flows
from bot.slack import button_value
from bot.slack.blocks import replies
from bot.slack.context import SlackContext
from bot.slack.ids import ActionId
from bot.slack.listening import listen
from bot.vocabulary import Role


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register button handlers."""

    async def take_role(body: dict[str, Any], action: dict[str, Any]) -> None:
        incident_id, role = _incident_and_role(action["value"])
        user_id = body["user"]["id"]
        async with ctx.flow() as session:
            change = await incident_flows.assign_role(
                session=session,
                incident_id=incident_id,
                role=role,
                user_id=user_id,
                actor=user_id,
                now=ctx.deps.clock(),
            )
        channel = body.get("channel", {}).get("id")
        if channel:
            await ctx.gateway.post(channel, replies.role_changed(change))

    listen(app.action(re.compile(rf"^{ActionId.TAKE_ROLE}:")), take_role)


def _incident_and_role(value: str) -> tuple[int, Role]:
    incident_id, role = button_value.decode(value, 2)
    return int(incident_id), Role(role)
