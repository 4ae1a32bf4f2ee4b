"""Comms buttons: open the form, approve & publish, override, edit, retry, history."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.errors import BadInput, BotError
from bot.flows import comms_delivery, comms_publish
from bot.slack import button_value, view_state
from bot.slack.blocks import comms as comms_blocks
from bot.slack.blocks.comms_modal import (
    OverrideMeta,
    override_modal,
)
from bot.slack.context import SlackContext
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.listeners.comms import editing
from bot.slack.listeners.comms.opening import open_draft, open_form
from bot.slack.listening import ack_unordered, listen
from bot.vocabulary import CommsKind

Body = dict[str, Any]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the comms buttons and form submissions."""
    listen(app.action(re.compile(rf"^{ActionId.OPEN_COMMS}(:.*)?$")), _open(ctx), ack=ack_unordered)
    listen(app.action(ActionId.COMMS_APPROVE), _approve(ctx))
    listen(app.action(ActionId.COMMS_EDIT), _edit(ctx), ack=ack_unordered)
    listen(app.action(ActionId.COMMS_RETRY), _retry(ctx))
    listen(app.action(ActionId.COMMS_HISTORY), _history(ctx))
    listen(app.view(CallbackId.COMMS_OVERRIDE), _override(ctx), ack=_check_override_reason)
    editing.register(app, ctx)


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
    async def open_comms(body: Body, action: Body, respond: AsyncRespond) -> None:
        await _open_form(ctx, body, action)

    return open_comms


async def _open_form(ctx: SlackContext, body: Body, action: Body) -> None:
    await open_form(
        ctx, trigger_id=body["trigger_id"], channel_id=_channel(body), kind=_kind(action)
    )


def _approve(ctx: SlackContext) -> Any:
    async def approve(body: Body, action: Body, respond: AsyncRespond) -> None:
        await _approve_draft(ctx, body, action, respond)

    return approve


async def _approve_draft(
    ctx: SlackContext, body: Body, action: Body, respond: AsyncRespond
) -> None:
    draft_id, version = button_value.decode(action["value"], 2)
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


def _override_reason(view: Body) -> str:
    return view_state.text(view, ActionId.COMMS_OVERRIDE_REASON)


async def _check_override_reason(ack: AsyncAck, view: Body) -> None:
    if len(_override_reason(view)) < 5:
        await ack(
            response_action="errors",
            errors={BlockId.COMMS_OVERRIDE_REASON: "Say why it must go out without it."},
        )
        return
    await ack()


def _override(ctx: SlackContext) -> Any:
    async def override(body: Body, view: Body) -> None:
        reason = _override_reason(view)
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
    async def edit(body: Body, action: Body, respond: AsyncRespond) -> None:
        work = open_draft(
            ctx,
            trigger_id=body["trigger_id"],
            channel_id=_channel(body),
            draft_id=int(action["value"]),
        )
        await work

    return edit


def _retry(ctx: SlackContext) -> Any:
    async def retry(body: Body, action: Body, respond: AsyncRespond) -> None:
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
    async def history(action: Body, respond: AsyncRespond) -> None:
        await _show_history(ctx, int(action["value"]), respond)

    return history


async def _show_history(ctx: SlackContext, draft_id: int, respond: AsyncRespond) -> None:
    async with ctx.flow() as session:
        kind, entries = await comms_delivery.history(session=session, draft_id=draft_id)
    text = comms_blocks.history_text(kind, entries)
    await respond(text=text, response_type="ephemeral", replace_original=False)
