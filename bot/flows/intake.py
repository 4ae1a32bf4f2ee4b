"""Alert intake, the change ledger and eval runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import rules as alert_rules
from bot.alerts import store as alert_store
from bot.alerts.schemas import AlertStatus, NormalizedAlert, Source
from bot.changes import store as change_store
from bot.changes.schemas import ChangeIn
from bot.config import Config
from bot.evals import store as eval_store
from bot.evals.schemas import EvalIn
from bot.flows import changes as change_flows
from bot.flows import fix_validation, incidents
from bot.incidents import store as incident_store
from bot.incidents.schemas import EventKind
from bot.models import Change, EvalRun, Incident

ALERT_EVENT_EVERY = timedelta(minutes=1)
SUMMARY_DEBOUNCE = timedelta(seconds=3)


@dataclass
class IngestResult:
    delivery_id: int
    stored: int = 0
    duplicates: int = 0
    opened: list[int] = field(default_factory=list)
    attached: list[int] = field(default_factory=list)


async def ingest_alerts(
    *,
    session: AsyncSession,
    config: Config,
    source: Source,
    body: str,
    alerts: list[NormalizedAlert],
    now: datetime,
) -> IngestResult:
    """Store a delivery and its alerts, then open or update the incident each belongs to."""
    delivery_id = await alert_store.add_delivery(
        session=session, source=source, body=body, alert_count=len(alerts), at=now
    )
    result = IngestResult(delivery_id=delivery_id)
    for alert in alerts:
        await _store_and_group(
            session=session,
            config=config,
            delivery_id=delivery_id,
            alert=alert,
            now=now,
            result=result,
        )
    return result


async def _store_and_group(
    *,
    session: AsyncSession,
    config: Config,
    delivery_id: int,
    alert: NormalizedAlert,
    now: datetime,
    result: IngestResult,
) -> None:
    # The common case, an alert for an open incident, takes one lookup and one insert.
    route = alert_rules.route(alert, config.routing)
    incident = await incident_store.find_open_by_group_key(
        session=session, group_key=route.group_key
    )
    alert_id = await alert_store.add_alert(
        session=session,
        delivery_id=delivery_id,
        alert=alert,
        at=now,
        incident_id=incident.id if incident else None,
    )
    if alert_id is None:
        result.duplicates += 1
        return
    result.stored += 1
    if incident is None:
        incident = await _incident_for_unattached(
            session=session, config=config, alert=alert, route=route, now=now, result=result
        )
        if incident is None:
            return  # resolved, and no incident was ever opened for it: kept, unattached
        await alert_store.attach(session=session, alert_id=alert_id, incident_id=incident.id)
    await _record_on_incident(
        session=session, incident=incident, alert=alert, alert_id=alert_id, now=now
    )
    if incident.number not in result.opened and incident.number not in result.attached:
        result.attached.append(incident.number)


async def _incident_for_unattached(
    *,
    session: AsyncSession,
    config: Config,
    alert: NormalizedAlert,
    route: alert_rules.Route,
    now: datetime,
    result: IngestResult,
) -> Incident | None:
    if alert.status == AlertStatus.FIRING:
        incident = await _open_from_alert(
            session=session, config=config, alert=alert, route=route, now=now
        )
        if incident.number not in result.opened:
            result.opened.append(incident.number)
        return incident
    # A resolved notification is recorded on the incident it belonged to.
    return await incident_store.find_latest_by_group_key(session=session, group_key=route.group_key)


async def _open_from_alert(
    *,
    session: AsyncSession,
    config: Config,
    alert: NormalizedAlert,
    route: alert_rules.Route,
    now: datetime,
) -> Incident:
    new = incident_store.NewIncident(
        title=alert.title,
        type=route.type,
        severity=route.severity,
        declared_by="alert",
        declared_at=now,
        feature=route.feature,
        service=alert.labels.get("service"),
        description=alert.description,
        labels=alert.labels,
        group_key=route.group_key,
        responders=(*config.default_responders, *route.responders),
        first_alert_at=alert.starts_at or now,
    )
    incident = await incident_store.create(session=session, new=new)
    if incident is not None:
        await incidents.schedule_opening(session=session, config=config, incident=incident, now=now)
        return incident
    # Another delivery opened it first; the unique open group key guarantees it exists.
    existing = await incident_store.find_open_by_group_key(
        session=session, group_key=route.group_key
    )
    assert existing is not None
    return existing


async def _record_on_incident(
    *,
    session: AsyncSession,
    incident: Incident,
    alert: NormalizedAlert,
    alert_id: int,
    now: datetime,
) -> None:
    if alert.status == AlertStatus.RESOLVED:
        await incident_store.add_event(
            session=session,
            incident_id=incident.id,
            kind=EventKind.ALERT_RESOLVED,
            actor=alert.source.value,
            at=now,
            text=f"Monitor reports resolved: {alert.title}",
            data={"alert_id": alert_id},
        )
        await _note_if_all_resolved(session=session, incident=incident, now=now)
    elif await _alert_event_due(session=session, incident=incident, now=now):
        await incident_store.add_event(
            session=session,
            incident_id=incident.id,
            kind=EventKind.ALERT,
            actor=alert.source.value,
            at=now,
            text=f"Alert: {alert.title}",
            data={"alert_id": alert_id, "dedupe_key": alert.dedupe_key},
        )
    if incident.channel_id:
        # Coalesce: a burst of alerts edits the summary once every few seconds, not per alert.
        await incidents.refresh_later(
            session=session, incident=incident, now=now + SUMMARY_DEBOUNCE
        )


async def _note_if_all_resolved(
    *, session: AsyncSession, incident: Incident, now: datetime
) -> None:
    # Each alert keeps its own state; the monitors are clear once every one has resolved.
    statuses = await alert_store.latest_statuses(session=session, incident_id=incident.id)
    state = alert_rules.monitor_state(statuses)
    if state.all_resolved:
        await incident_store.add_event(
            session=session,
            incident_id=incident.id,
            kind=EventKind.MONITORS_RESOLVED,
            actor="monitors",
            at=now,
            text=f"All {state.resolved} alerts report resolved",
            data={"alerts": state.resolved},
        )


async def _alert_event_due(*, session: AsyncSession, incident: Incident, now: datetime) -> bool:
    # A storm of repeats of one alert is counted on the incident, not written a thousand times
    # into its timeline: at most one "alert" event a minute.
    last = await incident_store.last_event_at(
        session=session, incident_id=incident.id, kind=EventKind.ALERT
    )
    return last is None or now - last >= ALERT_EVENT_EVERY


async def record_change(*, session: AsyncSession, change: ChangeIn, now: datetime) -> Change:
    """Add a change to the ledger; open incidents it concerns get it posted in their channel."""
    row = await change_store.add(session=session, change=change, now=now)
    await change_flows.on_arrival(session=session, change=row, now=now)
    return row


async def record_eval(*, session: AsyncSession, run: EvalIn, now: datetime) -> EvalRun:
    """Store an eval run, linked to its incident when it names one, and show it in the channel."""
    incident_id = None
    if run.incident is not None:
        incident = await incident_store.get_by_number(session=session, number=run.incident)
        incident_id = incident.id
    row = await eval_store.add(session=session, run=run, incident_id=incident_id, now=now)
    await fix_validation.eval_recorded(session=session, run=row, now=now)
    return row
