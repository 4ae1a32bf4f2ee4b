"""The eval loop: offer "Run evals" once the incident is contained, call the eval runner once
per click, and let its results (POST /evals) validate the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.containment import eval_runner
from bot.containment.schemas import Outcome, Plan
from bot.errors import BadInput, ConfigError
from bot.evals import requests as eval_requests
from bot.flows import summary
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import Change
from bot.vocabulary import EvalRequestState, EventKind

OFFER = "offer"


@dataclass(frozen=True)
class Requested:
    request_id: int
    channel_id: str | None
    description: str


@dataclass(frozen=True)
class Offer:
    incident_id: int
    channel_id: str | None
    runner: str | None  # None: no eval runner configured (the offer says how to add one)
    suites: tuple[str, ...]


@dataclass(frozen=True)
class Sent:
    """What became of one request, for its channel."""

    incident_id: int
    channel_id: str | None
    ok: bool
    text: str


async def offer_later(*, session: AsyncSession, incident_id: int, now: datetime) -> None:
    """The incident is contained: offer the eval run in its channel (once)."""
    await queue.schedule(
        session=session,
        kind=JobKind.EVAL_REQUEST,
        subject_key=f"{OFFER}:{incident_id}",
        due_at=now,
        incident_id=incident_id,
        payload={"offer": True},
        rearm=False,
    )


async def offer(*, session: AsyncSession, config: Config, incident_id: int) -> Offer:
    """What the offer shows."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    try:
        name, runner = eval_runner.provider(config)
        suites = tuple(eval_runner.suites(runner))
    except ConfigError:
        name, suites = None, ()
    return Offer(incident.id, incident.channel_id, name, suites)


async def request(
    *,
    session: AsyncSession,
    config: Config,
    jinja_env: Environment,
    incident_id: int,
    actor: str,
    now: datetime,
) -> Requested:
    """One click of "Run evals": record it and queue its one call to the runner."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    if not incident.feature:
        raise BadInput("set the incident's feature first: the eval runner runs a feature's suites")
    name, _ = eval_runner.provider(config)
    versions = await _versions(session, incident.feature, incident.service)
    row = await eval_requests.add(
        session=session, incident_id=incident.id, actor=actor, runner=name, request={}, now=now
    )
    results_to = f"{config.web.public_url}/evals" if config.web.public_url else None
    ask = eval_runner.RunRequest(row.id, incident.number, incident.feature, versions, results_to)
    built = eval_runner.plan(config, ask, jinja_env)
    row.request = built.model_dump(mode="json")
    await incident_store.add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.EVAL,
        actor=actor,
        at=now,
        text=f"Eval run requested: {built.description}",
        data={"eval_request_id": row.id},
    )
    await queue.schedule(
        session=session,
        kind=JobKind.EVAL_REQUEST,
        subject_key=str(row.id),
        due_at=now,
        incident_id=incident.id,
        payload={"request": row.id},
        rearm=False,
    )
    await summary.refresh_later_by_id(session=session, incident_id=incident.id, now=now)
    return Requested(row.id, incident.channel_id, built.description)


async def _versions(session: AsyncSession, feature: str, service: str | None) -> dict[str, str]:
    """The newest version of each kind of change to the feature (model, prompt, index…)."""
    subjects = [s for s in (feature, service) if s]
    stmt = (
        select(Change)
        .where(Change.feature.in_(subjects) | Change.service.in_(subjects))
        .order_by(Change.at)
    )
    return {c.kind: c.to_version for c in (await session.scalars(stmt)).all() if c.to_version}


async def to_send(*, session: AsyncSession, request_id: int) -> Plan | None:
    """The call to make for a request; None once it was made (a repeat sends nothing)."""
    row = await eval_requests.get(session=session, request_id=request_id)
    if row is None or row.status is not EvalRequestState.QUEUED:
        return None
    return Plan.model_validate(row.request)


async def sent(
    *, session: AsyncSession, request_id: int, outcome: Outcome, now: datetime
) -> Sent | None:
    """Record the runner's answer; what to tell the channel."""
    row = await eval_requests.get(session=session, request_id=request_id)
    if row is None or row.status is not EvalRequestState.QUEUED:
        return None
    row.status = EvalRequestState.SENT if outcome.ok else EvalRequestState.FAILED
    row.response, row.error, row.sent_at = outcome.body, outcome.error, now
    incident = await incident_store.get(session=session, incident_id=row.incident_id)
    await summary.refresh_later_by_id(session=session, incident_id=incident.id, now=now)
    if outcome.ok:
        text = (
            f"🧪 Eval runner `{row.runner}` accepted the run (HTTP {outcome.status}). "
            "Its results come back through `POST /evals`; fix validation takes them from there."
        )
    else:
        text = f"⚠️ Eval runner `{row.runner}` failed: {outcome.error}. Click *Run evals* to retry."
    return Sent(incident.id, incident.channel_id, outcome.ok, text)
