"""What the incident web pages show: lists with durations, one incident with its logs and charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.flows import postmortem as postmortem_flows
from bot.flows import postmortem_facts as facts_flows
from bot.incidents import listing
from bot.incidents import store as incident_store
from bot.incidents.listing import IncidentFilter
from bot.models import Alert, EvalRun, Incident
from bot.postmortem import durations
from bot.postmortem import store as pm_store
from bot.postmortem.durations import Durations
from bot.postmortem.schemas import PostmortemFacts
from bot.vocabulary import PostmortemState

EVALS_AROUND = timedelta(days=7)
MAX_POINTS = 5000


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    durations: Durations


@dataclass(frozen=True)
class IncidentList:
    rows: tuple[IncidentRow, ...]
    total: int
    features: tuple[str, ...]


@dataclass(frozen=True)
class EvalPoint:
    suite: str
    at: datetime
    passed: int
    total: int

    @property
    def rate(self) -> float:
        """The pass rate, 0–1."""
        return self.passed / self.total if self.total else 0.0


@dataclass(frozen=True)
class IncidentPage:
    incident: Incident
    facts: PostmortemFacts
    durations: Durations
    postmortem: PostmortemState | None  # None while nobody wrote one
    alert_times: tuple[datetime, ...]
    evals: tuple[EvalPoint, ...]


def durations_of(incident: Incident) -> Durations:
    """Time to detect, acknowledge, contain and resolve one incident."""
    return durations.durations(
        incident.first_alert_at,
        incident.declared_at,
        incident.acknowledged_at,
        incident.contained_at,
        incident.resolved_at,
    )


async def incidents(*, session: AsyncSession, where: IncidentFilter) -> IncidentList:
    """One page of incidents, how many match, and every feature (for the filter)."""
    found = await listing.search(session=session, where=where)
    return IncidentList(
        rows=tuple(IncidentRow(i, durations_of(i)) for i in found),
        total=await listing.count(session=session, where=where),
        features=tuple(await listing.features(session=session)),
    )


async def incident(
    *, session: AsyncSession, config: Config, number: int, now: datetime
) -> IncidentPage:
    """One incident: its facts (timeline, containment and comms logs, items) and chart data."""
    found = await incident_store.get_by_number(session=session, number=number)
    facts = await facts_flows.gather(session=session, config=config, incident_id=found.id, now=now)
    stored = await pm_store.postmortem(session=session, incident_id=found.id)
    return IncidentPage(
        incident=found,
        facts=facts,
        durations=durations_of(found),
        postmortem=stored.state if stored else None,
        alert_times=await _alert_times(session, found.id),
        evals=await _evals(session, found, now),
    )


async def postmortem(
    *, session: AsyncSession, config: Config, templates: Environment, number: int, now: datetime
) -> tuple[Incident, postmortem_flows.PostmortemDoc]:
    """The incident and its postmortem (published text, or a draft from today's facts)."""
    found = await incident_store.get_by_number(session=session, number=number)
    doc = await postmortem_flows.document(
        session=session, config=config, templates=templates, incident_id=found.id, now=now
    )
    return found, doc


async def _alert_times(session: AsyncSession, incident_id: int) -> tuple[datetime, ...]:
    stmt = (
        select(Alert.received_at)
        .where(Alert.incident_id == incident_id)
        .order_by(Alert.received_at)
        .limit(MAX_POINTS)
    )
    return tuple((await session.scalars(stmt)).all())


async def _evals(session: AsyncSession, incident: Incident, now: datetime) -> tuple[EvalPoint, ...]:
    """Eval runs of the incident's feature from a week before it to a week after it ended."""
    if not incident.feature:
        return ()
    start = (incident.first_alert_at or incident.declared_at) - EVALS_AROUND
    end = (incident.resolved_at or now) + EVALS_AROUND
    stmt = (
        select(EvalRun)
        .where(EvalRun.feature == incident.feature, EvalRun.at >= start, EvalRun.at <= end)
        .order_by(EvalRun.at)
        .limit(MAX_POINTS)
    )
    runs = (await session.scalars(stmt)).all()
    return tuple(EvalPoint(r.suite, r.at, r.passed, r.total) for r in runs)
