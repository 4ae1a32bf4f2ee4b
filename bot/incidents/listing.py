"""Incident lists for the web pages: filtered, sorted, counted. Keyword-only, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Incident
from bot.vocabulary import IncidentType, Severity, Status


class IncidentOrder(StrEnum):
    NUMBER = "number"
    DECLARED = "declared"
    SEVERITY = "severity"
    STATUS = "status"
    TYPE = "type"
    FEATURE = "feature"


_COLUMNS: dict[IncidentOrder, Any] = {
    IncidentOrder.NUMBER: Incident.number,
    IncidentOrder.DECLARED: Incident.declared_at,
    IncidentOrder.SEVERITY: Incident.severity,
    IncidentOrder.STATUS: Incident.status,
    IncidentOrder.TYPE: Incident.type,
    IncidentOrder.FEATURE: Incident.feature,
}


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents to list; None matches everything. Newest first by default."""

    status: Status | None = None
    type: IncidentType | None = None
    severity: Severity | None = None
    feature: str | None = None
    order: IncidentOrder = IncidentOrder.NUMBER
    descending: bool = True
    limit: int = 50
    offset: int = 0


async def search(*, session: AsyncSession, where: IncidentFilter) -> list[Incident]:
    """One page of matching incidents."""
    column = _COLUMNS[where.order]
    first = column.desc().nulls_last() if where.descending else column.asc().nulls_last()
    stmt = _filtered(select(Incident), where).order_by(first, Incident.number.desc())
    return list((await session.scalars(stmt.limit(where.limit).offset(where.offset))).all())


async def count(*, session: AsyncSession, where: IncidentFilter) -> int:
    """How many incidents match."""
    return int(await session.scalar(_filtered(select(func.count(Incident.id)), where)) or 0)


async def features(*, session: AsyncSession) -> list[str]:
    """Every feature an incident was about."""
    found = await session.scalars(select(Incident.feature).distinct())
    return sorted({f for f in found if f}, key=str.casefold)


def _filtered(stmt: Select[Any], where: IncidentFilter) -> Select[Any]:
    if where.status is not None:
        stmt = stmt.where(Incident.status == where.status.value)
    if where.type is not None:
        stmt = stmt.where(Incident.type == where.type.value)
    if where.severity is not None:
        stmt = stmt.where(Incident.severity == where.severity.value)
    if where.feature is not None:
        stmt = stmt.where(Incident.feature == where.feature)
    return stmt
