"""Containment buttons: confirm dialog → run once per click → outcome in the channel → undo."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.views import View
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BotError
from bot.flows import containment as containment_flows
from bot.flows import containment_report as report_flows
from bot.slack import button_value
from bot.slack.blocks import containment as containment_blocks
from bot.slack.blocks import replies
from bot.slack.blocks.containment import ConfirmMeta
from bot.slack.context import SlackContext
from bot.slack.ids import ActionId, CallbackId
from bot.slack.listening import ack_unordered, listen
from bot.vocabulary import Status


def _secrets(ctx: SlackContext) -> containment_flows.Secrets:
    return containment_flows.Secrets(ctx.deps.config, ctx.deps.environ, ctx.deps.templates)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the containment, undo and confirm listeners."""

    async def run_clicked(body: dict[str, Any], action: dict[str, Any]) -> None:
        incident_id, action_key, generation = button_value.decode(action["value"], 3)
        # Unconfigured: say which config key to set, without opening a dialog.
        containment_flows.require_configured(ctx.deps.config, action_key)
        view_id = await ctx.gateway.open_view(
            body["trigger_id"], containment_blocks.loading_modal()
        )
        async with ctx.flow() as session:
            conf = await containment_flows.confirmation(
                session=session,
                secrets=_secrets(ctx),
                incident_id=int(incident_id),
                action_key=action_key,
                generation=int(generation),
            )
        await ctx.gateway.update_view(view_id, _dialog(conf, body["channel"]["id"], action_key))

    async def undo_clicked(body: dict[str, Any], action: dict[str, Any]) -> None:
        view_id = await ctx.gateway.open_view(
            body["trigger_id"], containment_blocks.loading_modal()
        )
        async with ctx.flow() as session:
            conf = await containment_flows.undo_confirmation(
                session=session, run_id=int(action["value"])
            )
        await ctx.gateway.update_view(view_id, _dialog(conf, body["channel"]["id"], None))

    async def mark_contained(body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id, channel_id = body["user"]["id"], body["channel"]["id"]
        async with ctx.flow() as session:
            done = await report_flows.mark_contained(
                session=session,
                config=ctx.deps.config,
                run_id=int(action["value"]),
                actor=user_id,
                now=ctx.deps.clock(),
            )
        text = replies.status_changed(done.previous, Status.CONTAINED, user_id, done.reason)
        await ctx.gateway.post(channel_id, text)

    async def full_request(body: dict[str, Any]) -> None:
        meta = ConfirmMeta.model_validate_json(body["view"]["private_metadata"])
        async with ctx.flow() as session:
            conf = await _confirmation(ctx, session, meta)
        await ctx.gateway.push_view(body["trigger_id"], containment_blocks.full_request_modal(conf))

    async def confirmed(body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = ConfirmMeta.model_validate_json(view["private_metadata"])
        user_id = body["user"]["id"]
        try:
            await _run(ctx, meta, user_id)
        except BotError as exc:  # a view submission has no response_url to answer on
            await ctx.gateway.try_ephemeral(meta.channel_id, user_id, f"⚠️ {exc}")

    listen(app.action(ActionId.CONTAINMENT_RUN), run_clicked, ack=ack_unordered)
    listen(app.action(ActionId.CONTAINMENT_UNDO), undo_clicked, ack=ack_unordered)
    listen(app.action(ActionId.CONTAINMENT_MARK_CONTAINED), mark_contained)
    listen(app.action(ActionId.CONTAINMENT_FULL_REQUEST), full_request, ack=ack_unordered)
    listen(app.view(CallbackId.CONTAINMENT_CONFIRM), confirmed)


async def _confirmation(
    ctx: SlackContext, session: AsyncSession, meta: ConfirmMeta
) -> containment_flows.Confirmation:
    """The plan a confirm dialog shows, again (for its full request)."""
    if meta.undo_of is not None:
        return await containment_flows.undo_confirmation(session=session, run_id=meta.undo_of)
    assert meta.action is not None
    return await containment_flows.confirmation(
        session=session,
        secrets=_secrets(ctx),
        incident_id=meta.incident_id,
        action_key=meta.action,
        generation=meta.generation,
    )


def _dialog(conf: containment_flows.Confirmation, channel_id: str, action: str | None) -> View:
    if conf.undo_of is not None and conf.prior is not None:
        prior = conf.prior
        return containment_blocks.problem_modal(
            conf.title, f"it was already undone ({prior.state.value}, by <@{prior.by}>)"
        )
    if conf.plan is None:
        return containment_blocks.problem_modal(conf.title, conf.problem or "no plan")
    return containment_blocks.confirm_modal(conf, channel_id, action)


async def _run(ctx: SlackContext, meta: ConfirmMeta, user_id: str) -> None:
    """Claim the click (permission checked here, server-side), call the provider, record it."""
    async with ctx.flow() as session:
        if meta.undo_of is not None:
            started = await containment_flows.start_undo(
                session=session,
                config=ctx.deps.config,
                run_id=meta.undo_of,
                actor=user_id,
                now=ctx.deps.clock(),
            )
        else:
            assert meta.action is not None
            started = await containment_flows.start(
                session=session,
                secrets=_secrets(ctx),
                incident_id=meta.incident_id,
                action_key=meta.action,
                generation=meta.generation,
                actor=user_id,
                now=ctx.deps.clock(),
            )
    if isinstance(started, containment_flows.AlreadyRan):
        await ctx.gateway.try_ephemeral(
            meta.channel_id, user_id, containment_blocks.already_ran(started.prior)
        )
        return
    outcome = await containment_flows.execute(
        started.plan, http=ctx.deps.http, secrets=_secrets(ctx)
    )
    async with ctx.flow() as session:
        await containment_flows.finish(
            session=session,
            run_id=started.run_id,
            outcome=outcome,
            actor=user_id,
            now=ctx.deps.clock(),
        )
