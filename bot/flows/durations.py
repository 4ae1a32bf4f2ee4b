"""Response-time numbers: time to detect, acknowledge, contain and resolve over a period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.metrics import DurationRow
from bot.models import Incident
from bot.postmortem import durations as pm_durations
from bot.postmortem.durations import DurationStats
from bot.vocabulary import IncidentType, Severity, Status


async def summary(
    *, session: AsyncSession, since: datetime, incident_type: IncidentType | None = None
) -> dict[tuple[IncidentType, Severity], DurationStats]:
    """Median and p90 of each measure per (type, severity), incidents declared since `since`."""
    return summarize(await measured(session=session, since=since, incident_type=incident_type))


def summarize(
    rows: list[tuple[datetime, IncidentType, Severity, pm_durations.Durations]],
) -> dict[tuple[IncidentType, Severity], DurationStats]:
    """The per-(type, severity) statistics of measured incidents."""
    return pm_durations.summarize_durations((t, s, d) for _, t, s, d in rows)


async def measured(
    *, session: AsyncSession, since: datetime, incident_type: IncidentType | None = None
) -> list[tuple[datetime, IncidentType, Severity, pm_durations.Durations]]:
    """Each incident declared since `since` (declined ones aside): when, type, severity, times."""
    stmt = select(
        Incident.declared_at,
        Incident.type,
        Incident.severity,
        Incident.first_alert_at,
        Incident.acknowledged_at,
        Incident.contained_at,
        Incident.resolved_at,
    ).where(Incident.declared_at >= since, Incident.status != Status.DECLINED.value)
    if incident_type is not None:
        stmt = stmt.where(Incident.type == incident_type.value)
    return [
        (
            declared,
            kind,
            severity,
            pm_durations.durations(first, declared, acknowledged, contained, resolved),
        )
        for declared, kind, severity, first, acknowledged, contained, resolved in (
            await session.execute(stmt)
        ).all()
    ]


async def metric_rows(*, session: AsyncSession, since: datetime) -> list[DurationRow]:
    """The same numbers as rows for the Prometheus collector."""
    found: list[DurationRow] = []
    for (incident_type, severity), group in (await summary(session=session, since=since)).items():
        for measure in pm_durations.MEASURES:
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
