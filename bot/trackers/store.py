"""Tracker issue rows: keyword-only, take the session, never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import TrackerIssue
from bot.trackers.schemas import RemoteIssue
from bot.vocabulary import SyncState, TrackerKind


async def for_item(
    *, session: AsyncSession, item_id: int, lock: bool = False
) -> TrackerIssue | None:
    """The item's tracker issue row, if it has one."""
    stmt = select(TrackerIssue).where(TrackerIssue.item_id == item_id)
    if lock:
        stmt = stmt.with_for_update()
    found: TrackerIssue | None = (await session.scalars(stmt)).first()
    return found


async def by_remote(
    *, session: AsyncSession, kind: TrackerKind, ids: list[str]
) -> TrackerIssue | None:
    """The row of the issue a tracker calls by any of these ids or keys."""
    wanted = [i for i in ids if i]
    if not wanted:
        return None
    stmt = select(TrackerIssue).where(
        TrackerIssue.kind == kind.value,
        TrackerIssue.remote_id.in_(wanted) | TrackerIssue.remote_key.in_(wanted),
    )
    found: TrackerIssue | None = (await session.scalars(stmt.limit(1))).first()
    return found


def record_remote(row: TrackerIssue, issue: RemoteIssue, now: datetime) -> None:
    """Remember what the tracker shows for the item, and that it is in step."""
    row.remote_id, row.remote_key, row.url = issue.remote_id, issue.key, issue.url
    row.remote_state = issue.state if issue.state else row.remote_state
    row.remote_due = issue.due or row.remote_due
    row.sync, row.error, row.updated_at = SyncState.SYNCED, None, now
