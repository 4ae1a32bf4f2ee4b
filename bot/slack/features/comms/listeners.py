"""Comms buttons and forms: open, preview, save, approve & publish, override, retry, history."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.comms.kinds import CommsKind
from bot.errors import BadInput, BotError
from bot.flows import comms as comms_flows
from bot.flows import comms_delivery, comms_publish
from bot.slack.blocks import comms as comms_blocks
from bot.slack.blocks.comms_modal import (
    CommsMeta,
    OverrideMeta,
    field_block_id,
    override_modal,
    text_block_id,
    title_block_id,
)
from bot.slack.context import SlackContext
from bot.slack.errors import guarded
from bot.slack.features.comms import form
from bot.slack.features.comms.opening import error_text, open_draft, open_form, show_form
from bot.slack.ids import ActionId, BlockId, CallbackId

Body = dict[str, Any]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the comms buttons and form submissions."""
    app.action(re.compile(rf"^{ActionId.OPEN_COMMS}(:.*)?$"))(guarded(_open(ctx)))
    app.action(ActionId.COMMS_PREVIEW)(guarded(_preview(ctx)))
    app.action(ActionId.COMMS_APPROVE)(guarded(_approve(ctx)))
    app.action(ActionId.COMMS_EDIT)(guarded(_edit(ctx)))
    app.action(ActionId.COMMS_RETRY)(guarded(_retry(ctx)))
    app.action(ActionId.COMMS_HISTORY)(guarded(_history(ctx)))
    app.view(CallbackId.COMMS_DRAFT)(guarded(_save(ctx)))
    app.view(CallbackId.COMMS_OVERRIDE)(guarded(_override(ctx)))


def _channel(body: Body) -> str:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    if not channel:
        raise BadInput("Use this button in the incident channel.")
    return str(channel)


def _kind(action: Body) -> CommsKind:
    value = str(action.get("value") or action["action_id"].partition(":")[2])
    try:
        return CommsKind(value)
    except ValueError:
        raise BadInput(f"`{value[:40]}` is not a kind of message.") from None


def _open(ctx: SlackContext) -> Any:
    async def open_comms(ack: AsyncAck, body: Body, action: Body, respond: AsyncRespond) -> None:
        await ack()
        await _open_form(ctx, body, action)

    return open_comms


async def _open_form(ctx: SlackContext, body: Body, action: Body) -> None:
    await open_form(
        ctx, trigger_id=body["trigger_id"], channel_id=_channel(body), kind=_kind(action)
    )


def _preview(ctx: SlackContext) -> Any:
    async def preview(ack: AsyncAck, body: Body) -> None:
        await ack()
        view = body["view"]
        meta = CommsMeta.model_validate_json(view["private_metadata"])
        try:
            submitted = form.read(view)
            async with ctx.flow() as session:
                editing = await comms_flows.preview(
                    session=session,
                    config=ctx.deps.config,
                    templates=ctx.deps.templates,
                    incident_id=meta.incident_id,
                    kind=meta.kind,
                    draft_id=meta.draft_id,
                    changes=submitted.changes,
                    now=ctx.deps.clock(),
                )
        except BotError as exc:
            await _show_problem(ctx, view["id"], meta, exc)
            return
        await show_form(ctx, view["id"], meta.channel_id, editing, rev=meta.rev + 1)

    return preview


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
    await show_form(ctx, view_id, meta.channel_id, editing, rev=meta.rev, notice=notice)


def _save(ctx: SlackContext) -> Any:
    async def save(ack: AsyncAck, body: Body, view: Body) -> None:
        meta = CommsMeta.model_validate_json(view["private_metadata"])
        user_id = body["user"]["id"]
        try:
            submitted = form.read(view)
            async with ctx.flow() as session:
                saved = await comms_flows.save(
                    session=session,
                    config=ctx.deps.config,
                    templates=ctx.deps.templates,
                    incident_id=meta.incident_id,
                    kind=meta.kind,
                    draft_id=meta.draft_id,
                    title=submitted.title,
                    text=submitted.text,
                    changes=submitted.changes,
                    rendered_digest=meta.digest,
                    actor=user_id,
                    now=ctx.deps.clock(),
                )
        except BotError as exc:
            await ack(
                response_action="errors", errors={_block_of(exc, view, meta): error_text(exc)}
            )
            return
        await ack()
        await ctx.gateway.try_ephemeral(meta.channel_id, user_id, _saved_text(saved))

    return save


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


def _saved_text(saved: comms_flows.Saved) -> str:
    if not saved.changed:
        return f"Nothing changed since v{saved.version}."
    blocking = (
        f" {len(saved.lint.errors)} required field(s) still empty." if saved.lint.errors else ""
    )
    return (
        f"💾 Saved v{saved.version}.{blocking} Review it on the draft card in the channel; "
        "*Approve & publish* is there."
    )


def _approve(ctx: SlackContext) -> Any:
    async def approve(ack: AsyncAck, body: Body, action: Body, respond: AsyncRespond) -> None:
        await ack()
        await _approve_draft(ctx, body, action, respond)

    return approve


async def _approve_draft(
    ctx: SlackContext, body: Body, action: Body, respond: AsyncRespond
) -> None:
    draft_id, _, version = str(action["value"]).partition(":")
    meta = OverrideMeta(draft_id=int(draft_id), version=int(version), channel_id=_channel(body))
    try:
        published = await _publish(ctx, meta, body["user"]["id"], None)
    except comms_publish.LintBlocked as exc:
        if exc.may_override:
            await ctx.gateway.open_view(body["trigger_id"], override_modal(meta, exc.errors))
            return
        text = (
            f"⛔ {exc} Edit the draft to fill it in; only the comms lead can publish "
            "without it, giving a reason."
        )
        await respond(text=text, response_type="ephemeral", replace_original=False)
        return
    text = _published_text(published)
    await respond(text=text, response_type="ephemeral", replace_original=False)


async def _publish(
    ctx: SlackContext, meta: OverrideMeta, user_id: str, reason: str | None
) -> comms_publish.Published:
    async with ctx.flow() as session:
        return await comms_publish.publish(
            session=session,
            config=ctx.deps.config,
            draft_id=meta.draft_id,
            version=meta.version,
            actor=user_id,
            now=ctx.deps.clock(),
            override_reason=reason,
        )


def _published_text(published: comms_publish.Published) -> str:
    if not published.targets:
        return f"📣 Approved v{published.version}; {comms_blocks.nowhere(published.kind)}."
    where = comms_blocks.where(published.targets)
    return f"📣 Approved v{published.version}; publishing to {where}. The card shows each result."


def _override(ctx: SlackContext) -> Any:
    async def override(ack: AsyncAck, body: Body, view: Body) -> None:
        reason = form.flatten(view).get(ActionId.COMMS_OVERRIDE_REASON, "").strip()
        if len(reason) < 5:
            await ack(
                response_action="errors",
                errors={BlockId.COMMS_OVERRIDE_REASON: "Say why it must go out without it."},
            )
            return
        await ack()
        meta = OverrideMeta.model_validate_json(view["private_metadata"])
        user_id = body["user"]["id"]
        try:
            published = await _publish(ctx, meta, user_id, reason)
        except BotError as exc:
            await ctx.gateway.try_ephemeral(meta.channel_id, user_id, f"⚠️ {exc}")
            return
        await ctx.gateway.try_ephemeral(meta.channel_id, user_id, _published_text(published))

    return override


def _edit(ctx: SlackContext) -> Any:
    async def edit(ack: AsyncAck, body: Body, action: Body, respond: AsyncRespond) -> None:
        await ack()
        work = open_draft(
            ctx,
            trigger_id=body["trigger_id"],
            channel_id=_channel(body),
            draft_id=int(action["value"]),
        )
        await work

    return edit


def _retry(ctx: SlackContext) -> Any:
    async def retry(ack: AsyncAck, body: Body, action: Body, respond: AsyncRespond) -> None:
        await ack()
        await _retry_failed(ctx, body, action, respond)

    return retry


async def _retry_failed(ctx: SlackContext, body: Body, action: Body, respond: AsyncRespond) -> None:
    async with ctx.flow() as session:
        count = await comms_publish.retry_failed(
            session=session,
            config=ctx.deps.config,
            draft_id=int(action["value"]),
            actor=body["user"]["id"],
            now=ctx.deps.clock(),
        )
    text = f"🔁 Sending again to {count} target(s)." if count else "Nothing failed to retry."
    await respond(text=text, response_type="ephemeral", replace_original=False)


def _history(ctx: SlackContext) -> Any:
    async def history(ack: AsyncAck, action: Body, respond: AsyncRespond) -> None:
        await ack()
        await _show_history(ctx, int(action["value"]), respond)

    return history


async def _show_history(ctx: SlackContext, draft_id: int, respond: AsyncRespond) -> None:
    async with ctx.flow() as session:
        kind, entries = await comms_delivery.history(session=session, draft_id=draft_id)
    text = comms_blocks.history_text(kind, entries)
    await respond(text=text, response_type="ephemeral", replace_original=False)
