"""The postmortem's document in Slack (canvas or file): rows, keyword-only, never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import PostmortemDocument


async def get(
    *, session: AsyncSession, incident_id: int, lock: bool = False
) -> PostmortemDocument | None:
    """The incident's document row, if the postmortem was ever written."""
    return await session.get(
        PostmortemDocument, incident_id, populate_existing=True, with_for_update=lock or None
    )


async def permalink(*, session: AsyncSession, incident_id: int) -> str | None:
    """Where people open the postmortem in Slack, once it exists there."""
    row = await get(session=session, incident_id=incident_id)
    return row.permalink if row is not None else None


async def next_revision(*, session: AsyncSession, incident_id: int, now: datetime) -> int:
    """Note that the postmortem changed (its document must follow); returns the revision."""
    row = await get(session=session, incident_id=incident_id, lock=True)
    if row is None:
        row = PostmortemDocument(incident_id=incident_id, revision=1, synced_revision=0)
        session.add(row)
    else:
        row.revision += 1
    row.updated_at = now
    await session.flush()
    return row.revision
