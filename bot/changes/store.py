"""Change ledger queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.changes.schemas import ChangeIn
from bot.models import Change


async def add(*, session: AsyncSession, change: ChangeIn, now: datetime) -> Change:
    """Record a change."""
    row = Change(
        kind=change.kind,
        service=change.service,
        feature=change.feature,
        from_version=change.from_version,
        to_version=change.to_version,
        at=change.at or now,
        author=change.author,
        link=change.link,
        description=change.description,
        received_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def near(
    *, session: AsyncSession, subjects: list[str], since: datetime, until: datetime
) -> list[Change]:
    """Changes to any of these features/services in a window, newest first."""
    if not subjects:
        return []
    stmt = (
        select(Change)
        .where(or_(Change.feature.in_(subjects), Change.service.in_(subjects)))
        .where(Change.at >= since, Change.at <= until)
        .order_by(Change.at.desc(), Change.id.desc())
    )
    return list((await session.scalars(stmt)).all())
