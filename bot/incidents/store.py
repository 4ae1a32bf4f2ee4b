"""Incident queries. Keyword-only, take the session, never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import core_table, insert_ignoring_conflicts, insert_or_skip, insert_or_skip_row
from bot.errors import NotFound
from bot.incidents import rules
from bot.models import Alert, Counter, Incident, IncidentRole, StormGroup, TimelineEvent
from bot.vocabulary import EventKind, IncidentType, Role, Severity, Source, Status


@dataclass(frozen=True)
class NewIncident:
    title: str
    type: IncidentType
    severity: Severity
    declared_by: str
    declared_at: datetime
    feature: str | None = None
    service: str | None = None
    description: str = ""
    labels: dict[str, str] | None = None
    responders: Sequence[str] = ()
    group_key: str | None = None
    first_alert_at: datetime | None = None
    alert_source: Source | None = None  # the monitor whose alert opened it


async def next_number(*, session: AsyncSession, name: str = "incident") -> int:
    """Take the next value of a named counter (row-locked, so safe across processes)."""
    stmt = insert_ignoring_conflicts(session, Counter).values(name=name, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"], set_={"value": Counter.value + 1}
    ).returning(Counter.value)
    return int((await session.execute(stmt)).scalar_one())


async def create(*, session: AsyncSession, new: NewIncident) -> Incident | None:
    """Insert an incident; None when an open incident already holds its group key."""
    async with session.begin_nested() as savepoint:
        number = await next_number(session=session)
        values = _incident_values(new, number)
        incident = await insert_or_skip_row(session, Incident, values)
        if incident is None:
            await savepoint.rollback()
            return None
    await add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.OPENED,
        actor=new.declared_by,
        at=new.declared_at,
        text=f"Incident #{number} opened: {new.title}",
    )
    return incident


def _incident_values(new: NewIncident, number: int) -> dict[str, Any]:
    return {
        "number": number,
        "title": new.title[:300],
        "type": new.type.value,
        "severity": new.severity.value,
        "status": Status.TRIAGE.value,
        "feature": new.feature[:200] if new.feature else None,
        "service": new.service[:200] if new.service else None,
        "alert_source": new.alert_source,
        "description": new.description,
        "labels": new.labels or {},
        "responders": list(new.responders),
        "group_key": new.group_key,
        "open_group_key": new.group_key,
        "declared_by": new.declared_by,
        "declared_at": new.declared_at,
        "first_alert_at": new.first_alert_at,
        "updated_at": new.declared_at,
    }


async def get(*, session: AsyncSession, incident_id: int, lock: bool = False) -> Incident:
    """Load an incident by id or raise NotFound; `lock` holds its row until commit."""
    incident = await session.get(
        Incident, incident_id, populate_existing=True, with_for_update=lock or None
    )
    if incident is None:
        raise NotFound(f"no incident with id {incident_id}")
    return incident


async def get_by_number(*, session: AsyncSession, number: int) -> Incident:
    """Load an incident by its human number or raise NotFound."""
    found = await session.scalar(select(Incident).where(Incident.number == number))
    if found is None:
        raise NotFound(f"there is no incident #{number}")
    return found


async def get_by_channel(*, session: AsyncSession, channel_id: str) -> Incident | None:
    """The incident whose channel this is, if any."""
    return (
        await session.scalars(select(Incident).where(Incident.channel_id == channel_id))
    ).first()


async def find_open_by_group_key(*, session: AsyncSession, group_key: str) -> Incident | None:
    """The open incident holding this group key, if any."""
    stmt = select(Incident).where(Incident.open_group_key == group_key)
    return (await session.scalars(stmt)).first()


async def open_by_group_keys(
    *, session: AsyncSession, group_keys: Collection[str]
) -> dict[str, Incident]:
    """The open incident holding each of these group keys (those that have one).

    A group that arrived in an alert storm belongs to its source's open storm incident.
    """
    if not group_keys:
        return {}
    keys = sorted(group_keys)
    stmt = select(Incident).where(Incident.open_group_key.in_(keys))
    found = {i.open_group_key: i for i in await session.scalars(stmt) if i.open_group_key}
    stormed = (
        select(StormGroup.group_key, Incident)
        .join(Incident, Incident.id == StormGroup.incident_id)
        .where(StormGroup.group_key.in_(keys), Incident.open_group_key.is_not(None))
    )
    for key, incident in (await session.execute(stormed)).tuples():
        found.setdefault(key, incident)
    return found


async def find_latest_by_group_key(*, session: AsyncSession, group_key: str) -> Incident | None:
    """The newest incident (open or not) opened for this group key."""
    stmt = (
        select(Incident)
        .where(Incident.group_key == group_key)
        .order_by(Incident.declared_at.desc(), Incident.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def list_open(*, session: AsyncSession) -> list[Incident]:
    """Open incidents, most severe first, then newest."""
    open_values = [s.value for s in Status if s.is_open]
    stmt = (
        select(Incident)
        .where(Incident.status.in_(open_values))
        .order_by(Incident.severity, Incident.declared_at.desc())
    )
    return list((await session.scalars(stmt)).all())


async def list_recent(
    *, session: AsyncSession, status: Status | None = None, limit: int = 100, offset: int = 0
) -> list[Incident]:
    """Incidents newest first, optionally only those in one status."""
    stmt = select(Incident).order_by(Incident.number.desc()).limit(limit).offset(offset)
    if status is not None:
        stmt = stmt.where(Incident.status == status.value)
    return list((await session.scalars(stmt)).all())


async def add_event(
    *,
    session: AsyncSession,
    incident_id: int,
    kind: EventKind,
    actor: str,
    text: str,
    at: datetime,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Add a timeline event; False when one with the same dedupe key already exists."""
    values = dict(
        incident_id=incident_id,
        kind=kind,
        actor=actor,
        text=text,
        at=at,
        data=data or {},
        dedupe_key=dedupe_key,
    )
    return await insert_or_skip(session, TimelineEvent, values) is not None


async def has_event(*, session: AsyncSession, incident_id: int, dedupe_key: str) -> bool:
    """Whether the timeline holds an event with this dedupe key."""
    stmt = select(TimelineEvent.id).where(
        TimelineEvent.incident_id == incident_id, TimelineEvent.dedupe_key == dedupe_key
    )
    return (await session.scalar(stmt.limit(1))) is not None


async def timeline(*, session: AsyncSession, incident_id: int) -> list[TimelineEvent]:
    """Every timeline event of an incident, oldest first."""
    stmt = (
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id)
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    return list((await session.scalars(stmt)).all())


async def add_events(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add timeline events (without dedupe keys) in one statement."""
    if rows:
        await session.execute(insert(core_table(TimelineEvent)), list(rows))


async def last_event_times(
    *, session: AsyncSession, incident_ids: Collection[int], kind: EventKind
) -> dict[int, datetime]:
    """When the newest event of this kind happened, per incident (those that have one)."""
    if not incident_ids:
        return {}
    stmt = (
        select(TimelineEvent.incident_id, func.max(TimelineEvent.at))
        .where(TimelineEvent.incident_id.in_(list(incident_ids)), TimelineEvent.kind == kind.value)
        .group_by(TimelineEvent.incident_id)
    )
    return {incident_id: at for incident_id, at in (await session.execute(stmt)).all()}


async def last_event_at(
    *, session: AsyncSession, incident_id: int, kind: EventKind
) -> datetime | None:
    """When the newest event of this kind happened."""
    stmt = select(func.max(TimelineEvent.at)).where(
        TimelineEvent.incident_id == incident_id, TimelineEvent.kind == kind.value
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def set_status(
    *,
    session: AsyncSession,
    incident: Incident,
    target: Status,
    actor: str,
    at: datetime,
    reason: str | None = None,
) -> Status:
    """Move the incident to `target` (or raise InvalidTransition) and record it."""
    previous = incident.status
    rules.transition(previous, target)
    incident.status = target
    _stamp(incident, target, at)
    incident.open_group_key = incident.group_key if target.is_open else None
    text = f"Status {previous.value} → {target.value}" + (f": {reason}" if reason else "")
    await add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.STATUS,
        actor=actor,
        at=at,
        text=text,
        data={"from": previous.value, "to": target.value, "reason": reason},
    )
    await session.flush()
    return previous


def _stamp(incident: Incident, target: Status, at: datetime) -> None:
    if target == Status.CONTAINED and incident.contained_at is None:
        incident.contained_at = at
    elif target == Status.RESOLVED:
        incident.resolved_at = at
    elif target == Status.CLOSED:
        incident.closed_at = at
    elif target in (Status.INVESTIGATING, Status.TRIAGE):
        incident.resolved_at = None


async def set_severity(
    *, session: AsyncSession, incident: Incident, severity: Severity, actor: str, at: datetime
) -> Severity:
    """Change severity and record it; returns the previous one."""
    previous = incident.severity
    incident.severity = severity
    await add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.SEVERITY,
        actor=actor,
        at=at,
        text=f"Severity {previous.value} → {severity.value}",
        data={"from": previous.value, "to": severity.value},
    )
    return previous


async def set_type(
    *, session: AsyncSession, incident: Incident, type_: IncidentType, actor: str, at: datetime
) -> IncidentType:
    """Change the incident type and record it; returns the previous one."""
    previous = incident.type
    incident.type = type_
    await add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.TYPE,
        actor=actor,
        at=at,
        text=f"Type {previous.label} → {type_.label}",
        data={"from": previous.value, "to": type_.value},
    )
    return previous


async def roles(*, session: AsyncSession, incident_id: int) -> dict[Role, str]:
    """Current holder of each filled role."""
    rows = await session.scalars(
        select(IncidentRole).where(IncidentRole.incident_id == incident_id)
    )
    return {r.role: r.user_id for r in rows}


async def commanders(*, session: AsyncSession, incident_ids: Sequence[int]) -> dict[int, str]:
    """The commander of each of these incidents that has one."""
    if not incident_ids:
        return {}
    rows = await session.execute(
        select(IncidentRole.incident_id, IncidentRole.user_id).where(
            IncidentRole.incident_id.in_(list(set(incident_ids))),
            IncidentRole.role == Role.COMMANDER.value,
        )
    )
    return {incident_id: user_id for incident_id, user_id in rows.all()}


async def assign_role(
    *, session: AsyncSession, incident: Incident, role: Role, user_id: str, actor: str, at: datetime
) -> str | None:
    """Give a role to a user (handover if held); returns the previous holder."""
    current = await session.scalar(
        select(IncidentRole).where(
            IncidentRole.incident_id == incident.id, IncidentRole.role == role.value
        )
    )
    previous = current.user_id if current else None
    if current is None:
        session.add(
            IncidentRole(
                incident_id=incident.id,
                role=role,
                user_id=user_id,
                assigned_by=actor,
                assigned_at=at,
            )
        )
    else:
        current.user_id, current.assigned_by, current.assigned_at = user_id, actor, at
    if role == Role.COMMANDER and incident.acknowledged_at is None:
        incident.acknowledged_at = at
    text = f"{role.value} → <@{user_id}>" + (f" (was <@{previous}>)" if previous else "")
    await add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.ROLE,
        actor=actor,
        at=at,
        text=text,
        data={"role": role.value, "user": user_id, "previous": previous},
    )
    await session.flush()
    return previous


@dataclass(frozen=True)
class AlertStats:
    count: int
    first_seen: datetime | None
    last_seen: datetime | None


async def alert_stats(*, session: AsyncSession, incident_id: int) -> AlertStats:
    """How many alerts are attached, and when they were first and last seen."""
    stmt = select(
        func.count(Alert.id), func.min(Alert.received_at), func.max(Alert.received_at)
    ).where(Alert.incident_id == incident_id)
    count, first, last = (await session.execute(stmt)).one()
    return AlertStats(count=count, first_seen=first, last_seen=last)
