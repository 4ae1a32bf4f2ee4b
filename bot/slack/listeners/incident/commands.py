"""The core `/incident` subcommands: declare, status, list, roles, severity, type, updates."""

from __future__ import annotations

from bot.flows import fix_validation
from bot.flows import incidents as incident_flows
from bot.incidents import snapshot
from bot.incidents import store as incident_store
from bot.slack import command_text, followup_args
from bot.slack.blocks import followup_text, replies
from bot.slack.blocks import incident as incident_blocks
from bot.slack.blocks.modals import ModalMeta, declare_modal, update_modal
from bot.slack.context import SlackContext
from bot.slack.subcommand import Invocation, Reply, Subcommand
from bot.vocabulary import Status


async def _declare(ctx: SlackContext, call: Invocation) -> Reply:
    meta = ModalMeta(channel_id=call.channel_id)
    await ctx.gateway.open_view(call.trigger_id, declare_modal(meta, title=call.rest))
    return None


async def _status(ctx: SlackContext, call: Invocation) -> Reply:
    command_text.no_args(call.rest, USAGE["status"])
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        snap = await snapshot.load(session=session, incident_id=incident.id, now=ctx.deps.clock())
    blocks = [b.to_dict() for b in incident_blocks.summary_blocks(snap)]
    await ctx.gateway.ephemeral_blocks(
        call.channel_id, call.user_id, incident_blocks.summary_text(snap), blocks
    )
    return None


async def _list(ctx: SlackContext, call: Invocation) -> Reply:
    command_text.no_args(call.rest, USAGE["list"])
    async with ctx.flow() as session:
        rows = await incident_store.list_open(session=session)
        snaps = [await snapshot.load(session=session, incident_id=r.id) for r in rows[:30]]
    return replies.incident_list(snaps)


async def _role(ctx: SlackContext, call: Invocation) -> Reply:
    role, user_id = command_text.role_and_user(call.rest, USAGE["role"])
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        change = await incident_flows.assign_role(
            session=session,
            incident_id=incident.id,
            role=role,
            user_id=user_id,
            actor=call.user_id,
            now=ctx.deps.clock(),
        )
    await ctx.gateway.post(call.channel_id, replies.role_changed(change))
    return None


async def _severity(ctx: SlackContext, call: Invocation) -> Reply:
    severity = command_text.severity(call.rest, USAGE["severity"])
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        previous = await incident_flows.change_severity(
            session=session,
            config=ctx.deps.config,
            incident_id=incident.id,
            severity=severity,
            actor=call.user_id,
            now=ctx.deps.clock(),
        )
    await ctx.gateway.post(
        call.channel_id, replies.severity_changed(previous, severity, call.user_id)
    )
    return None


async def _type(ctx: SlackContext, call: Invocation) -> Reply:
    type_ = command_text.incident_type(call.rest, USAGE["type"])
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        previous = await incident_flows.change_type(
            session=session,
            config=ctx.deps.config,
            incident_id=incident.id,
            type_=type_,
            actor=call.user_id,
            now=ctx.deps.clock(),
            playbooks=ctx.deps.playbooks,
        )
    await ctx.gateway.post(call.channel_id, replies.type_changed(previous, type_, call.user_id))
    return None


async def _update(ctx: SlackContext, call: Invocation) -> Reply:
    incident = await ctx.incident_of(call.channel_id)
    if not call.rest:
        meta = ModalMeta(channel_id=call.channel_id, incident_id=incident.id)
        await ctx.gateway.open_view(call.trigger_id, update_modal(meta, incident.status))
        return None
    async with ctx.flow() as session:
        await incident_flows.post_update(
            session=session,
            incident_id=incident.id,
            text=call.rest,
            status=None,
            actor=call.user_id,
            now=ctx.deps.clock(),
            config=ctx.deps.config,
        )
    await ctx.gateway.post(
        call.channel_id, replies.update_posted(call.rest, incident.status, call.user_id)
    )
    return None


async def _note(ctx: SlackContext, call: Invocation) -> Reply:
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        await incident_flows.add_note(
            session=session,
            incident_id=incident.id,
            text=call.rest,
            actor=call.user_id,
            now=ctx.deps.clock(),
        )
    return "📝 Note added to the timeline."


async def _resolve(ctx: SlackContext, call: Invocation) -> Reply:
    args = followup_args.parse_resolve(call.rest)
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        previous = await incident_flows.set_status(
            session=session,
            config=ctx.deps.config,
            incident_id=incident.id,
            target=Status.RESOLVED,
            actor=call.user_id,
            now=ctx.deps.clock(),
            reason=args.note,
            override=args.override,
        )
        validation = await fix_validation.recorded(session=session, incident_id=incident.id)
    await ctx.gateway.post(
        call.channel_id, followup_text.resolved(previous, call.user_id, args.note, validation)
    )
    return None


async def _reopen(ctx: SlackContext, call: Invocation) -> Reply:
    command_text.no_args(call.rest, USAGE["reopen"])
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        previous = await incident_flows.reopen(
            session=session, incident_id=incident.id, actor=call.user_id, now=ctx.deps.clock()
        )
        now_status = (await incident_store.get(session=session, incident_id=incident.id)).status
    await ctx.gateway.post(
        call.channel_id, replies.status_changed(previous, now_status, call.user_id, None)
    )
    return None


USAGE = {
    "declare": "`/incident declare [title]` — open a new incident (a form opens)",
    "status": "`/incident status` — show this incident's summary (in an incident channel)",
    "list": "`/incident list` — open incidents, with links",
    "role": "`/incident role <commander|comms|engineering|safety> @user` — assign or hand over",
    "severity": "`/incident severity <P1|P2|P3>` — change severity",
    "type": "`/incident type <type>` — change the incident type",
    "update": "`/incident update [text]` — post a status update (a form opens without text)",
    "note": "`/incident note <text>` — add a note to the timeline",
    "resolve": (
        "`/incident resolve [note]` — resolve once an eval run shows the fix works; "
        "`/incident resolve --override <reason>` — resolve without that"
    ),
    "reopen": "`/incident reopen` — reopen a resolved or declined incident",
}
_RUN = {
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
_CHECK = {
    "status": command_text.no_args,
    "list": command_text.no_args,
    "reopen": command_text.no_args,
    "role": command_text.role_and_user,
    "severity": command_text.severity,
    "type": command_text.incident_type,
    "note": command_text.required,
    "resolve": lambda rest, _usage: followup_args.parse_resolve(rest),
}
_MODALS = {"declare", "update"}
SUBCOMMANDS = [
    Subcommand(name, USAGE[name], run, _CHECK.get(name), opens_modal=name in _MODALS)
    for name, run in _RUN.items()
]
