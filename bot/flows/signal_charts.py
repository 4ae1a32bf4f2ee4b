"""Control charts of incidents opened by the detector: their data, and their place in Slack.

A chart is shared in the incident channel when the incident opens from a signal and again
when it resolves (before/after). Each share is a row (incident, phase) holding the file id
Slack gives out before sharing, so a retry asks Slack whether it was shared before uploading
another; shared charts are linked from the postmortem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.db import insert_ignoring_conflicts
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import Alert, Change, EvalRun, Incident, SignalChart
from bot.signals import alerting, charting
from bot.signals import store as signal_store
from bot.vocabulary import ChartPhase, Source

MAX_POINTS = 2000
AFTER = timedelta(days=1)  # how far past the resolution the chart goes


@dataclass(frozen=True)
class ChartJob:
    """What a chart upload needs to know."""

    incident_id: int
    number: int
    channel_id: str | None
    phase: ChartPhase
    file_id: str | None
    shared: bool


async def queue_chart(
    *, session: AsyncSession, number: int, phase: ChartPhase, now: datetime
) -> None:
    """Queue sharing the incident's chart in its channel for this phase (once)."""
    incident = await incident_store.get_by_number(session=session, number=number)
    await _queue(session, incident.id, phase, now)


async def _queue(session: AsyncSession, incident_id: int, phase: ChartPhase, now: datetime) -> None:
    await queue.schedule(
        session=session,
        kind=JobKind.CHART_UPLOAD,
        subject_key=f"{incident_id}:{phase}",
        due_at=now,
        incident_id=incident_id,
        payload={"phase": phase},
        rearm=False,
    )


async def on_resolved(*, session: AsyncSession, incident: Incident, now: datetime) -> None:
    """An incident resolved: if a signal opened it, share the after chart."""
    if await _spc_alert(session, incident.id) is not None:
        await _queue(session, incident.id, ChartPhase.RESOLVED, now)


async def _spc_alert(session: AsyncSession, incident_id: int) -> Alert | None:
    stmt = (
        select(Alert)
        .where(Alert.incident_id == incident_id, Alert.source == Source.SPC.value)
        .where(Alert.status == "firing")
        .order_by(Alert.id)
        .limit(1)
    )
    found: Alert | None = await session.scalar(stmt)
    return found


async def job(*, session: AsyncSession, incident_id: int, phase: ChartPhase) -> ChartJob:
    """Where the chart of this phase stands."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    row = await _row(session, incident_id, phase)
    return ChartJob(
        incident_id,
        incident.number,
        incident.channel_id,
        phase,
        row.file_id if row else None,
        bool(row and row.shared_at),
    )


async def _row(session: AsyncSession, incident_id: int, phase: ChartPhase) -> SignalChart | None:
    stmt = select(SignalChart).where(
        SignalChart.incident_id == incident_id, SignalChart.phase == phase
    )
    found: SignalChart | None = await session.scalar(stmt)
    return found


async def file_reserved(
    *, session: AsyncSession, incident_id: int, phase: ChartPhase, file_id: str
) -> None:
    """Keep the id of a chart file being uploaded, before it is shared."""
    await session.execute(
        insert_ignoring_conflicts(session, SignalChart)
        .values(incident_id=incident_id, phase=phase)
        .on_conflict_do_nothing()
    )
    row = await _row(session, incident_id, phase)
    assert row is not None
    row.file_id, row.shared_at = file_id, None


async def file_shared(
    *,
    session: AsyncSession,
    incident_id: int,
    phase: ChartPhase,
    permalink: str | None,
    now: datetime,
) -> None:
    """The chart is in the channel; the postmortem links it."""
    row = await _row(session, incident_id, phase)
    if row is not None:
        row.permalink, row.shared_at = permalink, now


async def links(*, session: AsyncSession, incident_id: int) -> list[tuple[str, str]]:
    """The shared charts of an incident, (title, link), for the postmortem."""
    stmt = (
        select(SignalChart)
        .where(SignalChart.incident_id == incident_id, SignalChart.shared_at.is_not(None))
        .order_by(SignalChart.id)
    )
    rows = (await session.scalars(stmt)).all()
    titles = {
        ChartPhase.OPENED: "Control chart when the incident opened",
        ChartPhase.RESOLVED: "Control chart at resolve",
    }
    return [(titles[r.phase], r.permalink) for r in rows if r.permalink]


async def chart(
    *, session: AsyncSession, config: Config, incident_id: int, now: datetime
) -> charting.ChartData | None:
    """The chart of the signal that opened the incident; None when no signal did."""
    alert = await _spc_alert(session, incident_id)
    if alert is None:
        return None
    incident = await incident_store.get(session=session, incident_id=incident_id)
    name, feature = str(alert.raw.get("signal", "")), str(alert.raw.get("feature", ""))
    signal = await signal_store.get(session=session, name=name, feature=feature)
    if signal is None:
        return None
    start = incident.declared_at - timedelta(days=config.signals.chart_window_days)
    end = (incident.resolved_at or now) + AFTER
    points = await signal_store.series(session=session, signal_id=signal.id, since=start, until=end)
    points = points[-MAX_POINTS:]
    if points:
        start = min(start, points[0].at)
    baseline = charting.Baseline(
        float(alert.raw.get("baseline_mean", 0.0)),
        float(alert.raw.get("sigma", 1.0)),
        bool(alert.raw.get("rate", signal.rate)),
    )
    return charting.build(
        title=alerting.title_of(config.signals, name, feature),
        signal=name,
        feature=feature,
        watch=alerting.watch_for(config.signals, name, feature),
        baseline=baseline,
        samples=[
            charting.Sample(p.at, p.value, p.total or 0, p.eval_run_id is not None) for p in points
        ],
        markers=await _markers(session, incident, start, end),
    )


async def _markers(
    session: AsyncSession, incident: Incident, start: datetime, end: datetime
) -> list[charting.Marker]:
    found = [charting.Marker(incident.declared_at, "incident opened", "opened")]
    if incident.contained_at:
        found.append(charting.Marker(incident.contained_at, "contained", "contained"))
    if incident.resolved_at:
        found.append(charting.Marker(incident.resolved_at, "resolved", "resolved"))
    subjects = [s for s in (incident.feature, incident.service) if s]
    if subjects:
        changes = await session.scalars(
            select(Change)
            .where(or_(Change.feature.in_(subjects), Change.service.in_(subjects)))
            .where(Change.at >= start, Change.at <= end)
            .order_by(Change.at)
            .limit(20)
        )
        found += [
            charting.Marker(c.at, charting.change_label(c.kind, c.to_version, c.service), "change")
            for c in changes
        ]
    if incident.feature:
        runs = await session.scalars(
            select(EvalRun)
            .where(EvalRun.feature == incident.feature, EvalRun.at >= start, EvalRun.at <= end)
            .order_by(EvalRun.at)
            .limit(20)
        )
        found += [
            charting.Marker(r.at, f"eval {r.suite} {r.passed}/{r.total}", "eval") for r in runs
        ]
    return found
