"""Alert intake, the change ledger and eval runs (each also a point of its suite's signal)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import rules as alert_rules
from bot.alerts import store as alert_store
from bot.alerts.schemas import NormalizedAlert
from bot.changes import store as change_store
from bot.changes.schemas import ChangeIn
from bot.config import Config
from bot.evals import store as eval_store
from bot.evals.schemas import EvalIn
from bot.flows import changes as change_flows
from bot.flows import fix_validation, incidents, signal_points, summary
from bot.flows import storm as storm_flows
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import Change, EvalRun, Incident
from bot.vocabulary import AlertStatus, EventKind, Source

ALERT_EVENT_EVERY = timedelta(minutes=1)
SUMMARY_DEBOUNCE = timedelta(seconds=3)


@dataclass
class IngestResult:
    delivery_id: int
    stored: int = 0
    duplicates: int = 0
    opened: list[int] = field(default_factory=list)
    attached: list[int] = field(default_factory=list)

    def counted(self, incident: Incident, *, opened: bool) -> None:
        """Note the incident an alert of this delivery went to."""
        if opened and incident.number not in self.opened:
            self.opened.append(incident.number)
        elif incident.number not in self.opened and incident.number not in self.attached:
            self.attached.append(incident.number)


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery: its raw body, kept as it came, and the alerts parsed from it."""

    source: Source
    body: str
    alerts: list[NormalizedAlert]


@dataclass
class _Item:
    result: IngestResult
    alert: NormalizedAlert
    route: alert_rules.Route
    key: str  # content key: the same alert delivered twice is stored once
    alert_id: int | None = None  # None for a duplicate
    incident: Incident | None = None
    opened: bool = False  # its incident was opened for it
    stored_attached: bool = False  # its incident was already open when it was stored


async def ingest_alerts(
    *,
    session: AsyncSession,
    config: Config,
    source: Source,
    body: str,
    alerts: list[NormalizedAlert],
    now: datetime,
) -> IngestResult:
    """Store one delivery and its alerts, then open or update the incident each belongs to."""
    [result] = await ingest(
        session=session, config=config, deliveries=[Delivery(source, body, alerts)], now=now
    )
    return result


async def ingest(
    *, session: AsyncSession, config: Config, deliveries: Sequence[Delivery], now: datetime
) -> list[IngestResult]:
    """Store many deliveries and their alerts set-based, then open or update their incidents.

    The common case, alerts for incidents already open, costs a few statements per batch
    however many alerts it holds; opening an incident is the rare, row-by-row path.
    """
    ids = await alert_store.add_deliveries(
        session=session,
        deliveries=[(d.source, d.body, len(d.alerts)) for d in deliveries],
        at=now,
    )
    results = [IngestResult(delivery_id=i) for i in ids]
    items = [
        _Item(
            result, alert, alert_rules.route(alert, config.routing), alert_rules.content_key(alert)
        )
        for result, delivery in zip(results, deliveries, strict=True)
        for alert in delivery.alerts
    ]
    open_incidents = await incident_store.open_by_group_keys(
        session=session, group_keys={i.route.group_key for i in items}
    )
    await _store(session, items, open_incidents, now)
    touched = await _group(session, config, items, open_incidents, now)
    await _record(session, items, touched, now)
    return results


async def _store(
    session: AsyncSession, items: list[_Item], open_incidents: dict[str, Incident], now: datetime
) -> None:
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        incident = open_incidents.get(item.route.group_key)
        item.stored_attached = incident is not None
        rows.setdefault(
            item.key,
            alert_store.alert_row(
                delivery_id=item.result.delivery_id,
                alert=item.alert,
                key=item.key,
                at=now,
                incident_id=incident.id if incident else None,
                group_key=item.route.group_key,
            ),
        )
    stored = await alert_store.add_alerts(session=session, rows=list(rows.values()))
    for item in items:
        item.alert_id = stored.pop(item.key, None)  # the second copy in a batch is a duplicate
        if item.alert_id is None:
            item.result.duplicates += 1
        else:
            item.result.stored += 1


async def _group(
    session: AsyncSession,
    config: Config,
    items: list[_Item],
    open_incidents: dict[str, Incident],
    now: datetime,
) -> dict[int, Incident]:
    """Give each stored alert its incident (opening one for a firing alert with none)."""
    touched: dict[int, Incident] = {}
    to_attach: dict[int, list[int]] = {}
    cap = storm_flows.Cap(config, now)
    for item in items:
        if item.alert_id is None:
            continue
        incident = open_incidents.get(item.route.group_key)
        opened = False
        if incident is None:
            incident, opened = await _incident_for_unattached(session, config, item, cap, now)
            if incident is None:
                continue  # resolved, and no incident was ever opened for it: kept, unattached
            if incident.open_group_key:
                open_incidents[item.route.group_key] = incident  # its own, or its storm's
        if not item.stored_attached:
            to_attach.setdefault(incident.id, []).append(item.alert_id)
        item.incident, item.opened = incident, opened
        item.result.counted(incident, opened=opened)
        touched[incident.id] = incident
    for incident_id, alert_ids in sorted(to_attach.items()):
        await alert_store.attach_many(session=session, alert_ids=alert_ids, incident_id=incident_id)
    return touched


async def _incident_for_unattached(
    session: AsyncSession, config: Config, item: _Item, cap: storm_flows.Cap, now: datetime
) -> tuple[Incident | None, bool]:
    if item.alert.status == AlertStatus.FIRING:
        source = item.alert.source.value
        if not await cap.may_open(session, source):
            return await storm_flows.attach_to_storm(
                session=session, config=config, cap=cap, alert=item.alert, route=item.route, now=now
            )
        incident, opened = await _open_from_alert(
            session=session, config=config, alert=item.alert, route=item.route, now=now
        )
        if opened:
            cap.opened(source)
        return incident, opened
    # A resolved notification is recorded on the incident it belonged to.
    latest = await incident_store.find_latest_by_group_key(
        session=session, group_key=item.route.group_key
    )
    return latest, False


async def _open_from_alert(
    *,
    session: AsyncSession,
    config: Config,
    alert: NormalizedAlert,
    route: alert_rules.Route,
    now: datetime,
) -> tuple[Incident, bool]:
    """Open an incident for a firing alert; (incident, False) if another delivery just did."""
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
        alert_source=alert.source,
    )
    incident = await incident_store.create(session=session, new=new)
    if incident is not None:
        await incidents.schedule_opening(session=session, config=config, incident=incident, now=now)
        return incident, True
    # Another delivery opened it first; the unique open group key guarantees it exists.
    existing = await incident_store.find_open_by_group_key(
        session=session, group_key=route.group_key
    )
    assert existing is not None
    return existing, False


async def _record(
    session: AsyncSession, items: list[_Item], touched: dict[int, Incident], now: datetime
) -> None:
    """Timeline events (at most one "alert" event a minute per incident) and summary refreshes."""
    firing: dict[int, _Item] = {}
    resolved: dict[int, Incident] = {}
    for item in items:
        if item.incident is None:
            continue
        if item.alert.status == AlertStatus.RESOLVED:
            await _record_resolved(session, item.incident, item, now)
            resolved[item.incident.id] = item.incident
        else:
            firing.setdefault(item.incident.id, item)
    for incident in resolved.values():
        await _note_if_all_resolved(session=session, incident=incident, now=now)
    opened = {i.incident.id for i in items if i.opened and i.incident is not None}
    await _alert_events(session, firing, opened, now)
    # Coalesced: a burst of alerts edits each summary once every few seconds, not per alert.
    with_channel = {str(i.id): i.id for i in touched.values() if i.channel_id}
    await queue.schedule_many(
        session=session,
        kind=JobKind.REFRESH_SUMMARY,
        subjects=with_channel,
        due_at=now + SUMMARY_DEBOUNCE,
    )


async def _record_resolved(
    session: AsyncSession, incident: Incident, item: _Item, now: datetime
) -> None:
    await incident_store.add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.ALERT_RESOLVED,
        actor=item.alert.source.value,
        at=now,
        text=f"Monitor reports resolved: {item.alert.title}",
        data={"alert_id": item.alert_id},
    )


async def _alert_events(
    session: AsyncSession, firing: dict[int, _Item], opened: set[int], now: datetime
) -> None:
    # A storm of repeats is counted on the incident, not written a thousand times into its
    # timeline: at most one "alert" event a minute.
    last = await incident_store.last_event_times(
        session=session, incident_ids=firing.keys() - opened, kind=EventKind.ALERT
    )
    rows = [
        {
            "incident_id": incident_id,
            "kind": EventKind.ALERT.value,
            "actor": item.alert.source.value,
            "at": now,
            "text": f"Alert: {item.alert.title}",
            "data": {"alert_id": item.alert_id, "dedupe_key": item.alert.dedupe_key},
            "dedupe_key": None,
        }
        for incident_id, item in sorted(firing.items())
        if incident_id not in last or now - last[incident_id] >= ALERT_EVENT_EVERY
    ]
    await incident_store.add_events(session=session, rows=rows)


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
    for incident_id in await fix_validation.eval_recorded(session=session, run=row, now=now):
        # the summary stops "waiting for the eval run"
        await summary.refresh_later_by_id(session=session, incident_id=incident_id, now=now)
    await signal_points.record_eval(session=session, run=row, now=now)
    return row
