"""A tracker reported an issue's new status: move its action item to match."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.flows import action_items as item_flows
from bot.postmortem import store as item_store
from bot.postmortem.store import ItemRecord
from bot.trackers import rules
from bot.trackers import store as tracker_store
from bot.trackers.webhooks import RemoteChange
from bot.vocabulary import ActionState


async def from_tracker(
    *, session: AsyncSession, config: Config, change: RemoteChange, now: datetime
) -> ItemRecord | None:
    """Move the item whose issue changed (None when the issue is not one of the bot's).

    The change is the tracker's, so it needs no Slack permission: the webhook was signed.
    """
    row = await tracker_store.by_remote(session=session, kind=change.kind, ids=list(change.ids))
    if row is None:
        return None
    await item_store.row(session=session, item_id=row.item_id, lock=True)  # item, then issue
    row = await tracker_store.for_item(session=session, item_id=row.item_id, lock=True)
    assert row is not None
    row.remote_state, row.updated_at = change.state, now
    item = await item_store.record(session=session, item_id=row.item_id)
    for step in rules.moves(item.state, change.state):
        reason = f"closed as won't do in {change.kind.label} ({change.key})"
        item = await item_flows.apply_move(
            session=session,
            config=config,
            item_id=item.id,
            to=step,
            actor=change.actor,
            now=now,
            reason=reason if step is ActionState.WONT_DO else None,
        )
    return item
