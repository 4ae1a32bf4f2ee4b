"""Response-time numbers: time to detect, acknowledge, contain and resolve over a period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.incidents.schemas import IncidentType, Severity, Status
from bot.metrics import DurationRow
from bot.models import Incident
from bot.postmortem import rules
from bot.postmortem.rules import DurationStats


async def summary(
    *, session: AsyncSession, since: datetime
) -> dict[tuple[IncidentType, Severity], DurationStats]:
    """Median and p90 of each measure per (type, severity), incidents declared since `since`."""
    stmt = select(Incident).where(
        Incident.declared_at >= since, Incident.status != Status.DECLINED.value
    )
    rows = [
        (
            IncidentType(i.type),
            Severity(i.severity),
            rules.durations(
                i.first_alert_at, i.declared_at, i.acknowledged_at, i.contained_at, i.resolved_at
            ),
        )
        for i in (await session.scalars(stmt)).all()
    ]
    return rules.summarize_durations(rows)


async def metric_rows(*, session: AsyncSession, since: datetime) -> list[DurationRow]:
    """The same numbers as rows for the Prometheus collector."""
    found: list[DurationRow] = []
    for (incident_type, severity), group in (await summary(session=session, since=since)).items():
        for measure in rules.MEASURES:
            stats = getattr(group, measure)
            if stats is not None:
                found.append(
                    DurationRow(
                        measure,
                        incident_type.value,
                        severity.value,
                        stats.count,
                        stats.median.total_seconds(),
                        stats.p90.total_seconds(),
                    )
                )
    return found
