"""`/incident comms [kind]` and opening the comms form (also from buttons, e.g. playbook steps)."""

from __future__ import annotations

from bot.errors import BadInput, BotError
from bot.flows import comms as comms_flows
from bot.flows.comms import Editing
from bot.slack.blocks import comms as comms_blocks
from bot.slack.blocks.comms_modal import CommsMeta, draft_modal, loading_modal
from bot.slack.context import SlackContext
from bot.slack.subcommand import Invocation, Reply, Subcommand
from bot.vocabulary import CommsKind

USAGE = (
    "`/incident comms [kind]` — draft, edit and publish a user communication "
    f"({', '.join(k.value for k in CommsKind)}); without a kind, pick one"
)
_ALIASES = {
    "ack": CommsKind.ACKNOWLEDGEMENT,
    "status": CommsKind.STATUS_UPDATE,
    "update": CommsKind.STATUS_UPDATE,
    "resolved": CommsKind.RESOLUTION,
    "followup": CommsKind.FOLLOW_UP,
    "users": CommsKind.AFFECTED_USERS,
    "stakeholders": CommsKind.STAKEHOLDER_UPDATE,
    "legal": CommsKind.LEGAL_LEADERSHIP,
}


def parse_kind(text: str, usage: str = USAGE) -> CommsKind | None:
    """Return the kind named (None for no kind), or raise BadInput with the usage."""
    name = text.strip().lower().replace("-", "_").replace(" ", "_")
    if not name:
        return None
    kind = _ALIASES.get(name) or next((k for k in CommsKind if k.value == name), None)
    if kind is None:
        raise BadInput(f"I don't know the message kind `{text.strip()[:40]}`. Usage: {usage}")
    return kind


async def _run(ctx: SlackContext, call: Invocation) -> Reply:
    kind = parse_kind(call.rest)
    if kind is None:
        await ctx.incident_of(call.channel_id)
        await ctx.gateway.ephemeral_blocks(
            call.channel_id,
            call.user_id,
            comms_blocks.chooser_text(),
            [b.to_dict() for b in comms_blocks.chooser_blocks()],
        )
        return None
    await open_form(ctx, trigger_id=call.trigger_id, channel_id=call.channel_id, kind=kind)
    return None


SUBCOMMANDS = [Subcommand("comms", USAGE, _run, parse_kind, opens_modal=True)]


async def open_form(
    ctx: SlackContext, *, trigger_id: str, channel_id: str, kind: CommsKind
) -> None:
    """Open the comms form for `kind` in this incident channel: a loading view first, then the
    draft (trigger ids expire in 3 s, drafting may take longer)."""
    incident = await ctx.incident_of(channel_id)
    view_id = await ctx.gateway.open_view(trigger_id, loading_modal(kind))
    async with ctx.flow() as session:
        editing = await comms_flows.open_editing(
            session=session,
            config=ctx.deps.config,
            templates=ctx.deps.templates,
            incident_id=incident.id,
            kind=kind,
            now=ctx.deps.clock(),
            name_of=ctx.gateway.display_name,
        )
    await show_form(ctx, view_id, channel_id, editing)


async def open_draft(ctx: SlackContext, *, trigger_id: str, channel_id: str, draft_id: int) -> None:
    """Open the comms form for a saved draft (the card's Edit button)."""
    async with ctx.flow() as session:
        editing = await comms_flows.edit_draft(
            session=session,
            config=ctx.deps.config,
            templates=ctx.deps.templates,
            draft_id=draft_id,
            now=ctx.deps.clock(),
        )
    view_id = await ctx.gateway.open_view(trigger_id, loading_modal(editing.kind))
    await show_form(ctx, view_id, channel_id, editing)


async def show_form(
    ctx: SlackContext,
    view_id: str,
    channel_id: str,
    editing: Editing,
    *,
    rev: int = 0,
    notice: str | None = None,
    previous: CommsMeta | None = None,
) -> None:
    """Put a draft into an open comms form (`previous`: the form it replaces, whose text stays)."""
    meta = CommsMeta(
        incident_id=editing.incident_id,
        channel_id=channel_id,
        kind=editing.kind,
        draft_id=editing.draft_id,
        version=previous.version if previous else editing.version,
        rev=rev,
        base=previous.base if previous else editing.base,
    )
    await ctx.gateway.update_view(view_id, draft_modal(meta, editing, notice))


def error_text(exc: BotError) -> str:
    """A BotError as one line for a form or an ephemeral message."""
    return exc.reason if isinstance(exc, BadInput) else str(exc)
