"""Storm queries: incidents a source opened lately, stormed groups, paced Slack call slots."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.models import Alert, Incident, SlackCallSlot, StormGroup

SLOT_KEEP = timedelta(hours=1)
PACE_LOCK = 0x51AC  # advisory lock id: one paced-slot decision at a time across replicas


def storm_key(source: str) -> str:
    """The open group key of a source's storm incident."""
    return f"storm:{source}"


async def opened_since(*, session: AsyncSession, source: str, since: datetime) -> int:
    """How many incidents alerts from `source` opened since `since` (storm incidents aside)."""
    stmt = select(func.count()).where(Incident.alert_source == source, Incident.declared_at > since)
    return int(await session.scalar(stmt) or 0)


async def add_group(*, session: AsyncSession, values: dict[str, object]) -> None:
    """Send an alert group to a storm incident (again, if an earlier storm held it)."""
    stmt = insert_ignoring_conflicts(session, StormGroup).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["group_key"],
        set_={k: v for k, v in values.items() if k != "group_key"},
    )
    await session.execute(stmt)


async def groups(*, session: AsyncSession, incident_id: int) -> list[tuple[StormGroup, int]]:
    """The storm incident's groups, oldest first, each with its alert count."""
    counts = (
        select(Alert.group_key, func.count().label("n"))
        .where(Alert.incident_id == incident_id)
        .group_by(Alert.group_key)
        .subquery()
    )
    stmt = (
        select(StormGroup, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.group_key == StormGroup.group_key)
        .where(StormGroup.incident_id == incident_id)
        .order_by(StormGroup.id)
    )
    return [(g, int(n)) for g, n in (await session.execute(stmt)).tuples()]


async def take_out(*, session: AsyncSession, group: StormGroup, incident_id: int) -> None:
    """Move a stormed group's alerts to `incident_id` and forget the group."""
    await session.execute(
        update(Alert)
        .where(Alert.incident_id == group.incident_id, Alert.group_key == group.group_key)
        .values(incident_id=incident_id)
    )
    await session.execute(delete(StormGroup).where(StormGroup.id == group.id))


async def take_slot(*, session: AsyncSession, method: str, per_minute: int, now: datetime) -> float:
    """Take a slot for one paced call now (0.0), or say in how many seconds one frees up."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": PACE_LOCK})
    window = now - timedelta(minutes=1)
    stmt = (
        select(SlackCallSlot.at)
        .where(SlackCallSlot.method == method, SlackCallSlot.at > window)
        .order_by(SlackCallSlot.at)
    )
    recent = list((await session.scalars(stmt)).all())
    if len(recent) >= per_minute:
        oldest = recent[len(recent) - per_minute]
        return max((oldest - window).total_seconds(), 0.05)
    await session.execute(
        delete(SlackCallSlot).where(
            SlackCallSlot.method == method, SlackCallSlot.at < now - SLOT_KEEP
        )
    )
    session.add(SlackCallSlot(method=method, at=now))
    await session.flush()
    return 0.0
