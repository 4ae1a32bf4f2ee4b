"""Page rows: keyword-only, take the session, never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Page
from bot.paging.schemas import PageView


async def get(
    *, session: AsyncSession, incident_id: int, target: str, lock: bool = False
) -> Page | None:
    """The incident's page of a target, if it was paged."""
    stmt = select(Page).where(Page.incident_id == incident_id, Page.target == target)
    if lock:
        stmt = stmt.with_for_update()
    found: Page | None = (await session.scalars(stmt)).first()
    return found


async def by_id(*, session: AsyncSession, page_id: int, lock: bool = False) -> Page | None:
    """One page by id."""
    return await session.get(Page, page_id, populate_existing=True, with_for_update=lock or None)


async def for_incident(*, session: AsyncSession, incident_id: int) -> list[Page]:
    """The incident's pages, oldest first."""
    stmt = select(Page).where(Page.incident_id == incident_id).order_by(Page.id)
    return list((await session.scalars(stmt)).all())


def view(row: Page) -> PageView:
    """Project a page row."""
    sent = row.sent
    return PageView(row.target, row.wanted, sent, row.error)


async def views(*, session: AsyncSession, incident_id: int) -> tuple[PageView, ...]:
    """The incident's pages, oldest first."""
    return tuple(view(r) for r in await for_incident(session=session, incident_id=incident_id))
