"""Action item buttons (in the channel and the Home tab), the won't-do modal, the Home tab."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.flows import action_items as item_flows
from bot.slack import view_state
from bot.slack.blocks import followup as followup_blocks
from bot.slack.blocks.home import home_view
from bot.slack.context import SlackContext
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.listening import ack_unordered, listen
from bot.vocabulary import ActionState

_MOVES = {
    ActionId.ITEM_START: ActionState.IN_PROGRESS,
    ActionId.ITEM_DONE: ActionState.DONE,
    ActionId.ITEM_REOPEN: ActionState.OPEN,
}


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register the item buttons, the won't-do modal and the Home tab."""
    for action_id, state in _MOVES.items():
        listen(app.action(action_id), _moved(ctx, state))
    listen(app.action(ActionId.ITEM_WONT_DO), _ask_reason(ctx), ack=ack_unordered)
    listen(app.view(CallbackId.ITEM_WONT_DO), _reason_given(ctx), ack=_check_reason)
    listen(app.event("app_home_opened"), _home_opened(ctx))


def _moved(ctx: SlackContext, state: ActionState) -> Callable[..., Awaitable[None]]:
    async def listener(body: dict[str, Any], action: dict[str, Any]) -> None:
        async with ctx.flow() as session:
            await item_flows.move(
                session=session,
                config=ctx.deps.config,
                item_id=int(action["value"]),
                to=state,
                actor=body["user"]["id"],
                now=ctx.deps.clock(),
            )
        # The item's message and the App Homes are refreshed by the work the flow queued.

    return listener


def _ask_reason(ctx: SlackContext) -> Callable[..., Awaitable[None]]:
    async def listener(body: dict[str, Any], action: dict[str, Any]) -> None:
        async with ctx.flow() as session:  # refuse before the form is filled in, not after
            item = await item_flows.check_may_change(
                session=session,
                config=ctx.deps.config,
                item_id=int(action["value"]),
                actor=body["user"]["id"],
            )
        meta = followup_blocks.ItemMeta(item_id=item.id)
        today = item_flows.today(ctx.deps.config, ctx.deps.clock())
        await ctx.gateway.open_view(
            body["trigger_id"], followup_blocks.wont_do_modal(item, meta, today)
        )

    return listener


def _reason(view: dict[str, Any]) -> str:
    return view_state.text(view, ActionId.ITEM_REASON)


async def _check_reason(ack: AsyncAck, view: dict[str, Any]) -> None:
    if not _reason(view):
        await ack(
            response_action="errors",
            errors={BlockId.ITEM_REASON: "Say why, so the postmortem can show it."},
        )
        return
    await ack()


def _reason_given(ctx: SlackContext) -> Callable[..., Awaitable[None]]:
    async def listener(body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = _reason(view)
        meta = followup_blocks.ItemMeta.model_validate_json(view["private_metadata"])
        async with ctx.flow() as session:
            await item_flows.move(
                session=session,
                config=ctx.deps.config,
                item_id=meta.item_id,
                to=ActionState.WONT_DO,
                actor=body["user"]["id"],
                now=ctx.deps.clock(),
                reason=reason,
            )

    return listener


def _home_opened(ctx: SlackContext) -> Callable[..., Awaitable[None]]:
    async def listener(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await publish_home(ctx, event["user"])

    return listener


async def publish_home(ctx: SlackContext, user_id: str) -> None:
    """Publish a user's Home tab from the current action items."""
    async with ctx.flow() as session:
        data = await item_flows.home(
            session=session, config=ctx.deps.config, user_id=user_id, now=ctx.deps.clock()
        )
    await ctx.gateway.publish_home(user_id, home_view(data))
