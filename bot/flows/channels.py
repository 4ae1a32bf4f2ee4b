"""The incident channel's life: its name, its id, its topic, its summary, what follows opening.

Each step that creates something in Slack records its intent first (the channel's name is
reserved before the channel is created), so a retry after an unanswered call can recognise what
it already created instead of creating it twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.config import Config
from bot.flows import storm as storm_flows
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
    name: str | None  # its name, reserved before it is created (None while it waits)
    wait: float = 0.0  # seconds until Slack's channel-creation pace allows it


async def opening(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    now: datetime,
    taken: Collection[str] = (),
) -> Opening:
    """The incident's channel; or, when the pace allows its creation now, the name reserved for
    it so no other incident takes it; or how long to wait for the pace.

    A name already reserved is kept, unless `taken` says Slack has it for someone else. The
    pace comes first: reserving the name locks the incident's row (the name is unique), and
    intake must not wait on that while openings queue for the pace.
    """
    incident = await incident_store.get(session=session, incident_id=incident_id)
    name = incident.channel_name
    if incident.channel_id is not None and name is not None:
        return Opening(incident.channel_id, name)
    wait = await storm_flows.channel_slot(
        session=session, config=config, incident=incident, now=now
    )
    if wait > 0:
        return Opening(None, None, wait)
    if name is not None and name not in taken:
        return Opening(None, name)
    for candidate in _candidates(incident, config.channels.prefix):
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
    # One statement: the name is taken unless another incident holds it. The unique column
    # settles a race between replicas: the loser's job fails and is retried.
    other = aliased(Incident)
    held = exists().where(other.channel_name == name, other.id != incident_id)
    stmt = (
        update(Incident)
        .where(Incident.id == incident_id, ~held)
        .values(channel_name=name)
        .returning(Incident.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).first() is not None


async def channel_created(
    *, session: AsyncSession, incident_id: int, channel_id: str, name: str
) -> None:
    """Record the channel Slack created (or that an earlier attempt created) for the incident."""
    await session.execute(
        update(Incident)
        .where(Incident.id == incident_id)
        .values(channel_id=channel_id, channel_name=name)
        .execution_options(synchronize_session=False)
    )


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
