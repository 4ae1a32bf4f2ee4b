"""The on-call offer: whether an incident still needs a commander, and where to ask."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotYet
from bot.incidents import store as incident_store
from bot.vocabulary import Role


async def still_without_commander(*, session: AsyncSession, incident_id: int) -> str | None:
    """The incident channel when the open incident has no commander yet, else None."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    if not incident.status.is_open:
        return None
    held = await incident_store.roles(session=session, incident_id=incident_id)
    if Role.COMMANDER in held:
        return None
    if incident.channel_id is None:
        raise NotYet("the incident channel does not exist yet")
    return incident.channel_id
