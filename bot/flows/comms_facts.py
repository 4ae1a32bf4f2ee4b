"""What the bot knows about an incident, gathered for prefilling a comms scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import store as alert_store
from bot.comms import drafting
from bot.comms.schemas import IncidentFacts
from bot.containment.schemas import RunState
from bot.incidents import store as incident_store
from bot.incidents.schemas import IncidentType, Severity, Status
from bot.models import ContainmentRun, Incident


def is_open(incident: Incident) -> bool:
    """Whether the incident is still open (triage, investigating or contained)."""
    return Status(incident.status).is_open


async def load(
    *, session: AsyncSession, incident_id: int, lead: str | None = None
) -> IncidentFacts:
    """Gather type, feature, alerts, timeline times, containment and labels of an incident."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    alerts = await alert_store.for_incident(session=session, incident_id=incident_id, limit=50)
    labels: dict[str, str] = {}
    for alert in reversed(alerts):  # oldest first, so newer alerts and the incident win
        labels.update(alert.labels)
    labels.update(incident.labels or {})
    starts = [a.starts_at for a in alerts if a.starts_at is not None]
    first_alert = min(
        [*starts, *([incident.first_alert_at] if incident.first_alert_at else [])], default=None
    )
    return IncidentFacts(
        title=incident.title,
        type=IncidentType(incident.type),
        severity=Severity(incident.severity),
        status=Status(incident.status),
        feature=drafting.feature_in_user_terms(incident.feature or labels.get("feature")),
        labels=labels,
        first_alert_at=first_alert,
        declared_at=incident.declared_at,
        contained_at=incident.contained_at,
        resolved_at=incident.resolved_at,
        containment_summaries=drafting.containment_summaries(
            await _contained_by(session, incident_id)
        ),
        alert_titles=[a.title for a in reversed(alerts)],
        lead=lead,
    )


async def _contained_by(session: AsyncSession, incident_id: int) -> list[str]:
    """Return the keys of containment actions that succeeded, oldest first."""
    stmt = (
        select(ContainmentRun.action_key)
        .where(
            ContainmentRun.incident_id == incident_id,
            ContainmentRun.state == RunState.SUCCEEDED.value,
        )
        .order_by(ContainmentRun.requested_at, ContainmentRun.id)
    )
    return list((await session.scalars(stmt)).all())
