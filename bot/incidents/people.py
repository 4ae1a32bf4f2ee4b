"""People's names as Slack last gave them (a cache of `users.info`). Keyword-only, take the
session, never commit."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.models import Person


async def cached(*, session: AsyncSession, user_ids: Collection[str]) -> dict[str, Person]:
    """Return the cached names of these users, by user id."""
    if not user_ids:
        return {}
    stmt = select(Person).where(Person.user_id.in_(sorted(user_ids)))
    return {p.user_id: p for p in (await session.scalars(stmt)).all()}


async def remember(*, session: AsyncSession, user_id: str, name: str, now: datetime) -> None:
    """Store (or refresh) a user's name."""
    values = {"name": name[:200], "fetched_at": now}
    stmt = insert_ignoring_conflicts(session, Person).values(user_id=user_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=values))
