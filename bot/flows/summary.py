"""The incident's live summary message: every flow that changes what it shows asks for a refresh."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import Incident


async def refresh_later(*, session: AsyncSession, incident: Incident, now: datetime) -> None:
    """Queue an update of the live summary (coalesced: one pending refresh per incident)."""
    await refresh_later_by_id(session=session, incident_id=incident.id, now=now)


async def refresh_later_by_id(*, session: AsyncSession, incident_id: int, now: datetime) -> None:
    """`refresh_later` for a flow that holds the incident's id, not its row."""
    await queue.schedule(
        session=session,
        kind=JobKind.REFRESH_SUMMARY,
        subject_key=str(incident_id),
        due_at=now,
        incident_id=incident_id,
    )
