"""`/incident` and its subcommands: ack, parse, call one flow, present the result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.errors import BadInput
from bot.flows import incidents as incident_flows
from bot.incidents import snapshot
from bot.incidents import store as incident_store
from bot.incidents.schemas import Status
from bot.slack import command_text
from bot.slack.blocks import incident as incident_blocks
from bot.slack.blocks import replies
from bot.slack.blocks.modals import ModalMeta, declare_modal, update_modal
from bot.slack.command_text import Command
from bot.slack.context import SlackContext


@dataclass(frozen=True)
class Invocation:
    command: Command
    user_id: str
    channel_id: str
    trigger_id: str


Reply = str | None
Subcommand = Callable[[SlackContext, Invocation], Awaitable[Reply]]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register `/incident`."""

    @app.command("/incident")
    async def incident_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        try:
            parsed = command_text.parse(command.get("text", ""))
        except BadInput as exc:
            await ack(response_type="ephemeral", text=str(exc))
            return
        await ack()
        call = Invocation(parsed, command["user_id"], command["channel_id"], command["trigger_id"])
        reply = await SUBCOMMANDS[parsed.name](ctx, call)
        if reply:
            await respond(text=reply, response_type="ephemeral")


async def _help(ctx: SlackContext, call: Invocation) -> Reply:
    return command_text.help_text()


async def _declare(ctx: SlackContext, call: Invocation) -> Reply:
    meta = ModalMeta(channel_id=call.channel_id)
    await ctx.gateway.open_view(call.trigger_id, declare_modal(meta, title=call.command.rest))
    return None


async def _incident_id(ctx: SlackContext, call: Invocation) -> int:
    async with ctx.flow() as session:
        incident = await incident_flows.in_channel(session=session, channel_id=call.channel_id)
        return incident.id


async def _status(ctx: SlackContext, call: Invocation) -> Reply:
    async with ctx.flow() as session:
        incident = await incident_flows.in_channel(session=session, channel_id=call.channel_id)
        snap = await snapshot.load(session=session, incident_id=incident.id)
    blocks = [b.to_dict() for b in incident_blocks.summary_blocks(snap)]
    await ctx.gateway.ephemeral_blocks(
        call.channel_id, call.user_id, incident_blocks.summary_text(snap), blocks
    )
    return None


async def _list(ctx: SlackContext, call: Invocation) -> Reply:
    async with ctx.flow() as session:
        rows = await incident_store.list_open(session=session)
        snaps = [await snapshot.load(session=session, incident_id=r.id) for r in rows[:30]]
    return replies.incident_list(snaps)


async def _role(ctx: SlackContext, call: Invocation) -> Reply:
    incident_id = await _incident_id(ctx, call)
    assert call.command.role is not None and call.command.user_id is not None
    async with ctx.flow() as session:
        change = await incident_flows.assign_role(
            session=session,
            incident_id=incident_id,
            role=call.command.role,
            user_id=call.command.user_id,
            actor=call.user_id,
            now=ctx.deps.clock(),
        )
    await ctx.gateway.post(call.channel_id, replies.role_changed(change))
    return None


async def _severity(ctx: SlackContext, call: Invocation) -> Reply:
    incident_id = await _incident_id(ctx, call)
    assert call.command.severity is not None
    async with ctx.flow() as session:
        previous = await incident_flows.change_severity(
            session=session,
            config=ctx.deps.config,
            incident_id=incident_id,
            severity=call.command.severity,
            actor=call.user_id,
            now=ctx.deps.clock(),
        )
    await ctx.gateway.post(
        call.channel_id, replies.severity_changed(previous, call.command.severity, call.user_id)
    )
    return None


async def _type(ctx: SlackContext, call: Invocation) -> Reply:
    incident_id = await _incident_id(ctx, call)
    assert call.command.type is not None
    async with ctx.flow() as session:
        previous = await incident_flows.change_type(
            session=session,
            config=ctx.deps.config,
            incident_id=incident_id,
            type_=call.command.type,
            actor=call.user_id,
            now=ctx.deps.clock(),
        )
    await ctx.gateway.post(
        call.channel_id, replies.type_changed(previous, call.command.type, call.user_id)
    )
    return None


async def _update(ctx: SlackContext, call: Invocation) -> Reply:
    async with ctx.flow() as session:
        incident = await incident_flows.in_channel(session=session, channel_id=call.channel_id)
    if not call.command.rest:
        meta = ModalMeta(channel_id=call.channel_id, incident_id=incident.id)
        await ctx.gateway.open_view(call.trigger_id, update_modal(meta, Status(incident.status)))
        return None
    async with ctx.flow() as session:
        await incident_flows.post_update(
            session=session,
            incident_id=incident.id,
            text=call.command.rest,
            status=None,
            actor=call.user_id,
            now=ctx.deps.clock(),
            config=ctx.deps.config,
        )
    await ctx.gateway.post(
        call.channel_id, replies.update_posted(call.command.rest, incident.status, call.user_id)
    )
    return None


async def _note(ctx: SlackContext, call: Invocation) -> Reply:
    incident_id = await _incident_id(ctx, call)
    async with ctx.flow() as session:
        await incident_flows.add_note(
            session=session,
            incident_id=incident_id,
            text=call.command.rest,
            actor=call.user_id,
            now=ctx.deps.clock(),
        )
    return "📝 Note added to the timeline."


async def _resolve(ctx: SlackContext, call: Invocation) -> Reply:
    return await _move(ctx, call, Status.RESOLVED, call.command.rest or None)


async def _reopen(ctx: SlackContext, call: Invocation) -> Reply:
    incident_id = await _incident_id(ctx, call)
    async with ctx.flow() as session:
        previous = await incident_flows.reopen(
            session=session, incident_id=incident_id, actor=call.user_id, now=ctx.deps.clock()
        )
        now_status = Status(
            (await incident_store.get(session=session, incident_id=incident_id)).status
        )
    await ctx.gateway.post(
        call.channel_id, replies.status_changed(previous, now_status, call.user_id, None)
    )
    return None


async def _move(ctx: SlackContext, call: Invocation, target: Status, reason: str | None) -> Reply:
    incident_id = await _incident_id(ctx, call)
    async with ctx.flow() as session:
        previous = await incident_flows.set_status(
            session=session,
            config=ctx.deps.config,
            incident_id=incident_id,
            target=target,
            actor=call.user_id,
            now=ctx.deps.clock(),
            reason=reason,
        )
    await ctx.gateway.post(
        call.channel_id, replies.status_changed(previous, target, call.user_id, reason)
    )
    return None


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": _help,
    "declare": _declare,
    "status": _status,
    "list": _list,
    "role": _role,
    "severity": _severity,
    "type": _type,
    "update": _update,
    "note": _note,
    "resolve": _resolve,
    "reopen": _reopen,
}
