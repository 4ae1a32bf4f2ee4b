"""Quality signals: points in (POST /signals, eval runs), and the detector's incremental pass.

Points are stored as they arrive and the detector runs in the worker. Each run takes the
detector's claim (one run at a time across replicas), reads points it has not seen in arrival
order, updates each signal's state from its points alone, writes the states back and marks the
points seen, all in one transaction: a crash loses nothing and repeats nothing. Signals that go
out of control become `spc` alerts in the normal intake, in the same transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.schemas import NormalizedAlert
from bot.config import Config
from bot.flows import intake, signal_points
from bot.flows import signal_charts as chart_flows
from bot.models import Incident
from bot.signals import alerting, rules
from bot.signals import store as signal_store
from bot.vocabulary import ChartPhase, Source, Status

DETECT_BATCH = 20_000


@dataclass
class DetectResult:
    points: int = 0
    signals: int = 0
    fired: list[str] = field(default_factory=list)  # "signal/feature"
    recovered: list[str] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)  # incident numbers
    more: bool = False


async def detect(
    *, session: AsyncSession, config: Config, now: datetime, limit: int = DETECT_BATCH
) -> DetectResult:
    """Run the detector over points it has not seen (at most `limit`); alerts go to intake."""
    await signal_store.claim_detector(session=session)
    points = await signal_store.undetected(session=session, limit=limit)
    result = DetectResult(points=len(points), more=len(points) >= limit)
    if not points:
        return result
    by_signal: dict[int, list[Any]] = defaultdict(list)
    for point in points:
        by_signal[point.signal_id].append(point)
    signals = await signal_store.by_ids(session=session, ids=by_signal.keys())
    frozen = await _features_in_incident(session, {s.feature for s in signals.values()})
    alerts: list[NormalizedAlert] = []
    states = []
    for signal_id, found in by_signal.items():
        signal = signals[signal_id]
        alerts.extend(_run(config, signal, found, signal.feature in frozen, result))
        states.append(signal.row())
    result.signals = len(states)
    await signal_store.save_states(session=session, rows=states)
    await signal_store.mark_detected(session=session, ids=[p.id for p in points])
    if alerts and config.signals.enabled:
        await _raise(session, config, alerts, now, result)
    if result.more:
        await signal_points.detect_soon(session=session, now=now)
    return result


def _run(
    config: Config,
    signal: signal_store.Watched,
    points: list[Any],
    frozen: bool,
    result: DetectResult,
) -> list[NormalizedAlert]:
    """Feed one signal's new points through its detector; the alerts its changes make."""
    watch = alerting.watch_for(config.signals, signal.name, signal.feature)
    title = alerting.title_of(config.signals, signal.name, signal.feature)
    state = rules.State.from_json(signal.state)
    alerts: list[NormalizedAlert] = []
    was = state.alarmed
    for p in points:
        point = rules.Point(p.at.timestamp(), p.value, p.total or 0)
        verdict = rules.observe(state, point, watch, frozen=frozen)
        if state.alarmed and not was:
            stats = rules.baseline_stats(state, signal.rate)
            assert stats is not None
            alerts.append(
                alerting.firing(
                    name=signal.name,
                    feature=signal.feature,
                    title=title,
                    watch=watch,
                    stats=stats,
                    verdict=verdict,
                    state=state,
                )
            )
            result.fired.append(f"{signal.name}/{signal.feature}")
        elif was and not state.alarmed:
            alerts.append(
                alerting.resolved(
                    name=signal.name,
                    feature=signal.feature,
                    title=title,
                    watch=watch,
                    verdict=verdict,
                    episode=state.episode,
                )
            )
            result.recovered.append(f"{signal.name}/{signal.feature}")
        was = state.alarmed
        signal.last_at = max(signal.last_at or p.at, p.at)
    signal.state, signal.alarmed = state.to_json(), state.alarmed
    signal.points += len(points)
    return alerts


async def _features_in_incident(session: AsyncSession, features: set[str]) -> set[str]:
    """Features with an open incident: their points stay out of baselines meanwhile."""
    if not features:
        return set()
    open_values = [s.value for s in Status if s.is_open]
    stmt = select(Incident.feature).where(
        Incident.status.in_(open_values), Incident.feature.in_(sorted(features))
    )
    return {f for f in (await session.scalars(stmt)).all() if f}


async def _raise(
    session: AsyncSession,
    config: Config,
    alerts: list[NormalizedAlert],
    now: datetime,
    result: DetectResult,
) -> None:
    body = json.dumps([a.raw for a in alerts], default=str)
    [ingested] = await intake.ingest(
        session=session,
        config=config,
        deliveries=[intake.Delivery(Source.SPC, body, alerts)],
        now=now,
    )
    result.opened = list(ingested.opened)
    for number in ingested.opened:
        await chart_flows.queue_chart(
            session=session, number=number, phase=ChartPhase.OPENED, now=now
        )
