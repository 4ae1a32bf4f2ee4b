"""The comms form's own listeners: Preview, Re-draft and Save draft."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypedDict

from jinja2 import Environment
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.errors import BadInput, BotError
from bot.flows import comms as comms_flows
from bot.flows import comms_editing
from bot.flows.comms import Editing
from bot.slack.blocks.comms_modal import CommsMeta, field_block_id, text_block_id, title_block_id
from bot.slack.context import SlackContext
from bot.slack.ids import ActionId, CallbackId
from bot.slack.listeners.comms import form
from bot.slack.listeners.comms.opening import error_text, show_form
from bot.slack.listening import HANDOFF, listen
from bot.slack.text import clip, esc, user
from bot.vocabulary import CommsKind

Body = dict[str, Any]
Recompute = Callable[[AsyncSession], Awaitable[Editing]]
Reader = Callable[[SlackContext, Body, CommsMeta], Recompute]


class _DraftArgs(TypedDict):
    config: Config
    templates: Environment
    incident_id: int
    kind: CommsKind
    draft_id: int | None
    now: datetime


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the form's buttons and its submission."""
    listen(app.action(ActionId.COMMS_PREVIEW), _preview(ctx))
    listen(app.action(ActionId.COMMS_REDRAFT), _redraft(ctx))
    listen(app.view(CallbackId.COMMS_DRAFT), _saved(ctx), ack=_save(ctx))


def _preview(ctx: SlackContext) -> Any:
    async def preview(body: Body) -> None:
        await _recompute_and_reshow(ctx, body["view"], _previewed)

    return preview


def _redraft(ctx: SlackContext) -> Any:
    async def redraft(body: Body) -> None:
        await _recompute_and_reshow(ctx, body["view"], _redrafted)

    return redraft


def _previewed(ctx: SlackContext, view: Body, meta: CommsMeta) -> Recompute:
    """The typed text with the edited fields applied to the lines still as drafted."""
    typed = _typed(view, meta)
    return lambda session: comms_editing.preview(
        session=session, typed=typed, **_draft_of(ctx, meta)
    )


def _redrafted(ctx: SlackContext, view: Body, meta: CommsMeta) -> Recompute:
    """The whole text written afresh from the fields."""
    changes = form.read(view).changes
    return lambda session: comms_editing.redraft(
        session=session, changes=changes, **_draft_of(ctx, meta)
    )


async def _recompute_and_reshow(ctx: SlackContext, view: Body, read: Reader) -> None:
    """Read the form, recompute the text in a flow and show the form again.

    A problem is shown at the top of the form, which keeps what the person typed.
    """
    meta = CommsMeta.model_validate_json(view["private_metadata"])
    try:
        recompute = read(ctx, view, meta)
        async with ctx.flow() as session:
            editing = await recompute(session)
    except BotError as exc:
        await _show_problem(ctx, view["id"], meta, exc)
        return
    await _reshow(ctx, view["id"], meta, editing)


def _draft_of(ctx: SlackContext, meta: CommsMeta) -> _DraftArgs:
    """The arguments naming the draft the form edits, with the bot's config and clock."""
    return _DraftArgs(
        config=ctx.deps.config,
        templates=ctx.deps.templates,
        incident_id=meta.incident_id,
        kind=meta.kind,
        draft_id=meta.draft_id,
        now=ctx.deps.clock(),
    )


async def _reshow(ctx: SlackContext, view_id: str, meta: CommsMeta, editing: Editing) -> None:
    """Show the new text (a new revision, so the inputs take it); keep the opened version."""
    previous = meta.model_copy(update={"base": editing.base})
    await show_form(ctx, view_id, meta.channel_id, editing, rev=meta.rev + 1, previous=previous)


def _typed(view: Body, meta: CommsMeta) -> comms_editing.Typed:
    submitted = form.read(view)
    return comms_editing.Typed(
        title=submitted.title,
        text=submitted.text,
        changes=submitted.changes,
        base=meta.base,
        opened_version=meta.version,
    )


async def _show_problem(ctx: SlackContext, view_id: str, meta: CommsMeta, exc: BotError) -> None:
    """Keep what the person typed (same block ids) and say what is wrong at the top."""
    async with ctx.flow() as session:
        if meta.draft_id is not None:
            editing = await comms_flows.edit_draft(
                session=session,
                config=ctx.deps.config,
                templates=ctx.deps.templates,
                draft_id=meta.draft_id,
                now=ctx.deps.clock(),
            )
        else:
            editing = await comms_flows.open_editing(
                session=session,
                config=ctx.deps.config,
                templates=ctx.deps.templates,
                incident_id=meta.incident_id,
                kind=meta.kind,
                now=ctx.deps.clock(),
            )
    field = exc.field if isinstance(exc, BadInput) else None
    label = form.FIELD_NAMES.get(field or "", field or "")
    notice = f"{label}: {error_text(exc)}" if label else error_text(exc)
    await show_form(
        ctx, view_id, meta.channel_id, editing, rev=meta.rev, notice=notice, previous=meta
    )


def _save(ctx: SlackContext) -> Any:
    """The ack part: save the version (its errors go back into the form), hand over the result."""

    async def save(ack: AsyncAck, body: Body, view: Body, context: AsyncBoltContext) -> None:
        meta = CommsMeta.model_validate_json(view["private_metadata"])
        user_id = body["user"]["id"]
        try:
            typed = _typed(view, meta)
            async with ctx.flow() as session:
                saved = await comms_editing.save(
                    session=session, typed=typed, actor=user_id, **_draft_of(ctx, meta)
                )
        except BotError as exc:
            await ack(
                response_action="errors", errors={_block_of(exc, view, meta): error_text(exc)}
            )
            return
        await ack()
        context[HANDOFF] = _saved_text(saved)

    return save


def _saved(ctx: SlackContext) -> Any:
    async def saved(body: Body, view: Body, context: AsyncBoltContext) -> None:
        meta = CommsMeta.model_validate_json(view["private_metadata"])
        await ctx.gateway.try_ephemeral(meta.channel_id, body["user"]["id"], context[HANDOFF])

    return saved


def _block_of(exc: BotError, view: Body, meta: CommsMeta) -> str:
    """The input block an error belongs to (a scope-wide error goes to the window's end)."""
    field = exc.field if isinstance(exc, BadInput) else None
    if field == "title":
        return title_block_id(meta.rev)
    shown = {b.get("block_id") for b in view.get("blocks", [])}
    for candidate in (field, "window_end" if field is None else None):
        if candidate and field_block_id(candidate) in shown:
            return field_block_id(candidate)
    return text_block_id(meta.rev)


def _saved_text(saved: comms_editing.Saved) -> str:
    if not saved.changed:
        return f"Nothing changed since v{saved.version}."
    blocking = (
        f" {len(saved.lint.errors)} required field(s) still empty." if saved.lint.errors else ""
    )
    text = (
        f"💾 Saved v{saved.version}.{blocking} Review it on the draft card in the channel; "
        "*Approve & publish* is there."
    )
    if saved.kept:
        quoted = ", ".join(f"“{esc(clip(line, 80))}”" for line in saved.kept[:3])
        text += (
            f"\n✍️ Your own words were kept where the fields changed: {quoted}. "
            "*Edit* and *Re-draft* to take the fields' wording."
        )
    if saved.newer is not None:
        text += (
            f"\n⚠️ {user(saved.newer.author)} saved v{saved.newer.version} while you had this "
            f"open; your v{saved.version} replaces it as the newest. *History* on the card "
            "shows both."
        )
    return text
