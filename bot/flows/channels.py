"""The incident channel's life: its name, its id, its topic, its summary, what follows opening.

Each step that creates something in Slack records its intent first (the channel's name is
reserved before the channel is created), so a retry after an unanswered call can recognise what
it already created instead of creating it twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.incidents import rules as incident_rules
from bot.incidents import snapshot as incident_snapshot
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import ON_CHANNEL_OPEN, JobKind
from bot.models import Incident

NUDGE_AGAIN = timedelta(minutes=15)
MAX_NUDGES = 3


async def snapshot(
    *, session: AsyncSession, incident_id: int, now: datetime | None = None
) -> incident_snapshot.Snapshot:
    """The incident as Slack messages show it (as of `now`, for the time left to deadlines)."""
    return await incident_snapshot.load(session=session, incident_id=incident_id, now=now)


@dataclass(frozen=True)
class Opening:
    channel_id: str | None  # the channel, once created
    name: str  # its name, reserved before it is created


async def opening(
    *, session: AsyncSession, incident_id: int, prefix: str, taken: Collection[str] = ()
) -> Opening:
    """The incident's channel, or the name reserved for it so no other incident takes it.

    A name already reserved is kept, unless `taken` says Slack has it for someone else.
    """
    incident = await incident_store.get(session=session, incident_id=incident_id)
    name = incident.channel_name
    if incident.channel_id is not None and name is not None:
        return Opening(incident.channel_id, name)
    if name is not None and name not in taken:
        return Opening(None, name)
    for candidate in _candidates(incident, prefix):
        if candidate not in taken and await _try_reserve(session, incident_id, candidate):
            return Opening(None, candidate)
    raise RuntimeError(f"no free channel name for incident {incident.number}")


def _candidates(incident: Incident, prefix: str) -> list[str]:
    first = incident_rules.channel_name(incident.declared_at, incident.title, prefix=prefix)
    numbered = [str(incident.number), *(f"{incident.number}-{n}" for n in range(2, 10))]
    return [first] + [
        incident_rules.channel_name(incident.declared_at, incident.title, prefix=prefix, suffix=s)
        for s in numbered
    ]


async def _try_reserve(session: AsyncSession, incident_id: int, name: str) -> bool:
    # The unique column settles a race between replicas: the loser's job fails and is retried.
    holder = await session.scalar(
        select(Incident.id).where(Incident.channel_name == name, Incident.id != incident_id)
    )
    if holder is not None:
        return False
    await session.execute(
        update(Incident).where(Incident.id == incident_id).values(channel_name=name)
    )
    return True


async def channel_created(
    *, session: AsyncSession, incident_id: int, channel_id: str, name: str
) -> None:
    """Record the channel Slack created (or that an earlier attempt created) for the incident."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    incident.channel_id, incident.channel_name = channel_id, name


async def topic_set(*, session: AsyncSession, incident_id: int, topic: str) -> None:
    """Remember the topic the channel shows."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    incident.topic = topic


async def summary_posted(
    *, session: AsyncSession, config: Config, incident_id: int, ts: str, now: datetime
) -> None:
    """Record the live summary's message, then queue what follows opening (once each), with
    the on-call offer where a schedule is configured."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    incident.summary_ts = ts
    offer = (JobKind.ONCALL_OFFER,) if config.paging.oncall is not None else ()
    for kind in (*ON_CHANNEL_OPEN, *offer):
        await queue.schedule(
            session=session,
            kind=kind,
            subject_key=str(incident_id),
            due_at=now,
            incident_id=incident_id,
            rearm=False,
        )


async def nudge_again(
    *, session: AsyncSession, incident_id: int, count: int, now: datetime
) -> None:
    """Queue the next reminder about empty roles, a few times at most."""
    if count >= MAX_NUDGES:
        return
    await queue.schedule(
        session=session,
        kind=JobKind.ROLE_NUDGE,
        subject_key=f"{incident_id}:{count}",
        incident_id=incident_id,
        due_at=now + NUDGE_AGAIN,
        payload={"count": count},
    )
