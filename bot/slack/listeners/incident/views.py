"""Modal submissions: validate and ack (closing the modal or showing errors); then one flow."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.flows import incidents as incident_flows
from bot.slack import view_state
from bot.slack.blocks import replies
from bot.slack.blocks.modals import ModalMeta
from bot.slack.context import SlackContext
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.listening import listen
from bot.vocabulary import IncidentType, Severity, Status


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register modal submission handlers."""

    async def check_declaration(ack: AsyncAck, view: dict[str, Any]) -> None:
        if not view_state.text(view, ActionId.DECLARE_TITLE):
            await ack(
                response_action="errors",
                errors={BlockId.DECLARE_TITLE: "Say in a few words what is wrong."},
            )
            return
        await ack()

    async def declare(body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view_state.values(view)
        title = values[ActionId.DECLARE_TITLE].strip()
        meta = ModalMeta.model_validate_json(view["private_metadata"])
        user_id = body["user"]["id"]
        declaration = incident_flows.Declaration(
            title=title,
            type=IncidentType(values[ActionId.DECLARE_TYPE]),
            severity=Severity(values[ActionId.DECLARE_SEVERITY]),
            feature=values.get(ActionId.DECLARE_FEATURE) or None,
            description=values.get(ActionId.DECLARE_DESCRIPTION) or "",
            user_id=user_id,
        )
        async with ctx.flow() as session:
            incident = await incident_flows.declare(
                session=session,
                config=ctx.deps.config,
                declaration=declaration,
                now=ctx.deps.clock(),
            )
        await ctx.gateway.try_ephemeral(meta.channel_id, user_id, replies.declared(incident.number))

    async def check_update(ack: AsyncAck, view: dict[str, Any]) -> None:
        if not view_state.text(view, ActionId.UPDATE_TEXT):
            await ack(response_action="errors", errors={BlockId.UPDATE_TEXT: "Write the update."})
            return
        await ack()

    async def update(body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view_state.values(view)
        text = values[ActionId.UPDATE_TEXT].strip()
        meta = ModalMeta.model_validate_json(view["private_metadata"])
        assert meta.incident_id is not None
        status = (
            Status(values[ActionId.UPDATE_STATUS]) if values.get(ActionId.UPDATE_STATUS) else None
        )
        user_id = body["user"]["id"]
        async with ctx.flow() as session:
            await incident_flows.post_update(
                session=session,
                incident_id=meta.incident_id,
                text=text,
                status=status,
                actor=user_id,
                now=ctx.deps.clock(),
                config=ctx.deps.config,
            )
        shown = status.value if status else "update"
        await ctx.gateway.post(meta.channel_id, replies.update_posted(text, shown, user_id))

    listen(app.view(CallbackId.DECLARE), declare, ack=check_declaration)
    listen(app.view(CallbackId.UPDATE), update, ack=check_update)
