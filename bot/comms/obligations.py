"""What each incident owes in communications, and the reminders for it (due work in the database).

A reminder is due work keyed by obligation, due time and count, so moving the due time (an
update was published) leaves the old reminder to find it stale and do nothing. Keyword-only,
takes the session, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.comms import cadence
from bot.db import insert_ignoring_conflicts
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import CommsObligation, Incident
from bot.vocabulary import Obligation, Status


async def get(
    *, session: AsyncSession, incident_id: int, obligation: Obligation
) -> CommsObligation | None:
    """Return one obligation of an incident, if it was ever owed."""
    stmt = select(CommsObligation).where(
        CommsObligation.incident_id == incident_id,
        CommsObligation.obligation == obligation.value,
    )
    return (await session.scalars(stmt)).first()


async def on_declaration(
    *, session: AsyncSession, incident: Incident, overrides: cadence.Overrides
) -> None:
    """Owe the first update (and, for safety incidents, the legal notice); idempotent."""
    owed = cadence.on_declaration(
        incident.type,
        incident.severity,
        incident.declared_at,
        overrides,
    )
    for obligation, due_at in owed.items():
        stmt = insert_ignoring_conflicts(session, CommsObligation).values(
            incident_id=incident.id, obligation=obligation, due_at=due_at, reminders=0
        )
        await session.execute(stmt.on_conflict_do_nothing())
        row = await get(session=session, incident_id=incident.id, obligation=obligation)
        if row is not None and row.done_at is None:
            await _remind(session, incident.id, obligation, row.due_at, 0)


async def owe(
    *, session: AsyncSession, incident_id: int, obligation: Obligation, due_at: datetime
) -> None:
    """Owe a communication by `due_at` (moving it if owed already) and schedule its reminder."""
    values = {"due_at": due_at, "done_at": None, "done_by": None, "reminders": 0}
    stmt = insert_ignoring_conflicts(session, CommsObligation).values(
        incident_id=incident_id, obligation=obligation, **values
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["incident_id", "obligation"], set_=values)
    )
    await _remind(session, incident_id, obligation, due_at, 0)


async def fulfil(
    *, session: AsyncSession, incident_id: int, obligation: Obligation, actor: str, now: datetime
) -> None:
    """Mark an obligation met (its pending reminder then finds nothing to do)."""
    row = await get(session=session, incident_id=incident_id, obligation=obligation)
    if row is not None and row.done_at is None:
        row.done_at, row.done_by = now, actor


async def on_status(
    *, session: AsyncSession, incident_id: int, status: Status, now: datetime
) -> None:
    """Follow the lifecycle: resolving ends the update cadence and owes the follow-up."""
    if status is not Status.RESOLVED:
        return
    await fulfil(
        session=session,
        incident_id=incident_id,
        obligation=Obligation.UPDATE,
        actor="resolved",
        now=now,
    )
    await owe(
        session=session,
        incident_id=incident_id,
        obligation=Obligation.FOLLOW_UP,
        due_at=cadence.follow_up_due(now),
    )


async def next_update_at(*, session: AsyncSession, incident_id: int) -> datetime | None:
    """Return when the next update is due, or None when none is owed."""
    row = await get(session=session, incident_id=incident_id, obligation=Obligation.UPDATE)
    return row.due_at if row is not None and row.done_at is None else None


@dataclass(frozen=True)
class Reminder:
    incident_id: int
    obligation: Obligation
    due_at: datetime
    count: int


async def take_reminder(
    *, session: AsyncSession, payload: dict[str, object], incident_id: int, now: datetime
) -> Reminder | None:
    """Decide whether a reminder is still wanted; if so count it and schedule the next one."""
    obligation = Obligation(str(payload["obligation"]))
    due_at = datetime.fromisoformat(str(payload["due_at"]))
    row = await get(session=session, incident_id=incident_id, obligation=obligation)
    if row is None or row.done_at is not None or row.due_at != due_at:
        return None  # met, or moved: a newer reminder covers it
    incident = await session.get(Incident, incident_id)
    if incident is None or (obligation in cadence.WHILE_OPEN and not incident.status.is_open):
        return None
    count = int(str(payload.get("count", 0))) + 1
    row.reminders = max(row.reminders, count)
    again = cadence.next_reminder(now, count)
    if again is not None:
        await _remind(session, incident_id, obligation, due_at, count, at=again)
    return Reminder(incident_id, obligation, due_at, count)


async def _remind(
    session: AsyncSession,
    incident_id: int,
    obligation: Obligation,
    due_at: datetime,
    count: int,
    *,
    at: datetime | None = None,
) -> None:
    await queue.schedule(
        session=session,
        kind=JobKind.COMMS_REMIND,
        subject_key=f"{incident_id}:{obligation.value}:{due_at.isoformat()}:{count}",
        due_at=at or cadence.first_reminder(obligation, due_at),
        incident_id=incident_id,
        payload={"obligation": obligation.value, "due_at": due_at.isoformat(), "count": count},
        rearm=False,
    )
