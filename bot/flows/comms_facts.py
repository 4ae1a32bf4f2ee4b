"""What the bot knows about an incident, gathered for prefilling a comms scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.alerts import store as alert_store
from bot.comms import drafting, rules
from bot.comms import store as comms_store
from bot.comms.schemas import IncidentFacts, Scope
from bot.config import Config
from bot.flows.people import NameLookup
from bot.incidents import store as incident_store
from bot.models import CommsDraft, CommsVersion, ContainmentRun, Incident
from bot.vocabulary import CommsKind, Role, RunState


def is_open(incident: Incident) -> bool:
    """Whether the incident is still open (triage, investigating or contained)."""
    return incident.status.is_open


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
    standing = await _standing_actions(session, incident_id)
    finished = [r.finished_at for r in standing if r.finished_at is not None]
    return IncidentFacts(
        title=incident.title,
        type=incident.type,
        severity=incident.severity,
        status=incident.status,
        feature=drafting.feature_in_user_terms(incident.feature or labels.get("feature")),
        labels=labels,
        first_alert_at=first_alert,
        declared_at=incident.declared_at,
        contained_at=incident.contained_at or min(finished, default=None),
        resolved_at=incident.resolved_at,
        containment_summaries=drafting.containment_summaries(r.action_key for r in standing),
        alert_titles=[a.title for a in reversed(alerts)],
        lead=lead,
    )


async def _standing_actions(session: AsyncSession, incident_id: int) -> list[ContainmentRun]:
    """Containment actions that succeeded and still stand (not an undo, and not undone)."""
    undo = aliased(ContainmentRun)
    undone = (
        select(undo.id)
        .where(undo.undo_of_id == ContainmentRun.id, undo.state == RunState.SUCCEEDED.value)
        .exists()
    )
    stmt = (
        select(ContainmentRun)
        .where(
            ContainmentRun.incident_id == incident_id,
            ContainmentRun.state == RunState.SUCCEEDED.value,
            ContainmentRun.undo_of_id.is_(None),
            ~undone,
        )
        .order_by(ContainmentRun.requested_at, ContainmentRun.id)
    )
    return list((await session.scalars(stmt)).all())


async def prefilled(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    kind: CommsKind,
    now: datetime,
    name_of: NameLookup | None = None,
) -> Scope:
    """Prefill a new draft's scope from the incident and what earlier drafts said."""
    lead = await _lead(session, incident_id, name_of)
    facts = await load(session=session, incident_id=incident_id, lead=lead)
    minutes = rules.cadence_minutes(facts.severity, config.comms_cadence_minutes)
    scope = rules.prefill_scope(
        facts, now=now, cadence_minutes=minutes, timezone=config.comms_timezone
    )
    previous = await comms_store.latest_scope(session=session, incident_id=incident_id)
    return drafting.whole_minutes(drafting.for_kind(drafting.carry_over(scope, previous), kind))


async def _lead(session: AsyncSession, incident_id: int, name_of: NameLookup | None) -> str | None:
    """Name the commander for drafts that say who leads the response."""
    commander = (await incident_store.roles(session=session, incident_id=incident_id)).get(
        Role.COMMANDER
    )
    if commander is None or name_of is None:
        return None
    name = await name_of(commander)
    return f"{name} (incident commander)" if name else None


async def editing_base(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    kind: CommsKind,
    draft_id: int | None,
    now: datetime,
) -> tuple[CommsDraft | None, CommsVersion | None, Scope]:
    """Return the draft being edited, its newest version, and the scope edits apply to."""
    draft = (
        await comms_store.get_draft(session=session, draft_id=draft_id)
        if draft_id is not None
        else await comms_store.open_draft(session=session, incident_id=incident_id, kind=kind)
    )
    latest = await comms_store.latest_version(session=session, draft_id=draft.id) if draft else None
    if latest is not None:
        return draft, latest, Scope.model_validate(latest.scope)
    scope = await prefilled(
        session=session, config=config, incident_id=incident_id, kind=kind, now=now
    )
    return draft, None, scope
