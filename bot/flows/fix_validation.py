"""Fix validation use-cases: eval runs shown in incident channels, the check before resolving.

What counts as the failure window and as a run after containment is defined (and documented) in
`bot.evals.validation`; this module loads the runs and records what was decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.errors import BotError
from bot.evals import stats, validation
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import EvalRun, Incident, TimelineEvent
from bot.postmortem.schemas import FixValidationFacts
from bot.vocabulary import EventKind, IncidentType, Severity, Status

VALIDATION_KEY = "validation"


class FixNotValidated(BotError):
    """Resolving needs an eval run that shows the fix works, or an override with a reason."""


@dataclass(frozen=True)
class EvalNotice:
    """An eval run as the incident channel is told about it."""

    incident_id: int
    channel_id: str | None
    run: validation.EvalSample
    feature: str
    phase: validation.Phase
    where: str  # the run's counts and its place relative to the incident
    assessment: validation.Assessment


def required(config: Config, incident_type: IncidentType, severity: Severity) -> bool:
    """Whether this type and severity need an eval-validated fix (config over the defaults)."""
    policy = {k.value: v for k, v in config.followup.validation_required.items()}
    return stats.validation_required(incident_type, severity, policy)


async def samples(*, session: AsyncSession, incident: Incident) -> list[validation.EvalSample]:
    """Eval runs linked to the incident or of its feature since its window started."""
    window = _window(incident)
    matches = [EvalRun.incident_id == incident.id]
    if incident.feature:
        matches.append((EvalRun.feature == incident.feature) & (EvalRun.at >= window.start))
    stmt = select(EvalRun).where(or_(*matches)).order_by(EvalRun.at, EvalRun.id)
    return [_sample(run, incident.id) for run in (await session.scalars(stmt)).all()]


def _sample(run: EvalRun, incident_id: int) -> validation.EvalSample:
    return validation.EvalSample(
        run.id, run.suite, run.passed, run.total, run.at, linked=run.incident_id == incident_id
    )


def _window(incident: Incident) -> validation.Window:
    return validation.window_of(
        incident.declared_at, incident.first_alert_at, incident.contained_at
    )


async def assess(
    *, session: AsyncSession, config: Config, incident: Incident
) -> validation.Assessment:
    """Judge the incident's eval runs as they stand now."""
    return validation.assess(
        await samples(session=session, incident=incident),
        _window(incident),
        required=required(config, incident.type, incident.severity),
        alpha=config.followup.alpha,
        feature=incident.feature,
    )


async def check_resolve(
    *,
    session: AsyncSession,
    config: Config,
    incident: Incident,
    actor: str,
    now: datetime,
    override: str | None = None,
) -> validation.Assessment:
    """Refuse to resolve without validation unless overridden; record what was decided."""
    found = await assess(session=session, config=config, incident=incident)
    if found.blocks_resolve and not override:
        raise FixNotValidated(_refusal(found, incident))
    incident.resolve_reason = override  # cleared when a reopened incident resolves validated
    await incident_store.add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.EVAL,
        actor=actor,
        at=now,
        text=_event_text(found, override),
        data={VALIDATION_KEY: _event_data(found, override, actor)},
    )
    return found


def _refusal(found: validation.Assessment, incident: Incident) -> str:
    where = f"{incident.type.label} at {incident.severity}"
    return (
        f"Fix validation is required for {where} before resolving. {found.explanation}. "
        "Post an eval run after containment to `POST /evals`, or resolve anyway with "
        "`/incident resolve --override <reason>`."
    )


def _event_text(found: validation.Assessment, override: str | None) -> str:
    if override and not found.passed:
        return f"Fix validation overridden: {override} ({found.explanation})"
    if found.passed:
        return f"Fix validated: {found.explanation}"
    return f"Fix validation not required: {found.explanation}"


def _event_data(found: validation.Assessment, override: str | None, actor: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "required": found.required,
        "verdict": found.verdict.value,
        "explanation": found.explanation,
        "override_reason": override,
        "overridden_by": actor if override else None,
    }
    if found.comparison is not None:
        test = found.comparison.test
        data |= {
            "suite": found.comparison.suite,
            "counts": [test.fail_before, test.n_before, test.fail_after, test.n_after],
            "p_value": test.p_value,
            "min_sample_per_group": test.min_sample_per_group,
        }
    return data


async def recorded(*, session: AsyncSession, incident_id: int) -> FixValidationFacts | None:
    """The validation decided when the incident was last resolved, if it was."""
    stmt = (
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id, TimelineEvent.kind == EventKind.EVAL.value)
        .order_by(TimelineEvent.at.desc(), TimelineEvent.id.desc())
    )
    for event in (await session.scalars(stmt)).all():
        data = event.data.get(VALIDATION_KEY)
        if isinstance(data, dict):
            return FixValidationFacts(
                required=bool(data.get("required")),
                explanation=data.get("explanation"),
                override_reason=data.get("override_reason"),
                overridden_by=data.get("overridden_by"),
            )
    return None


async def eval_recorded(*, session: AsyncSession, run: EvalRun, now: datetime) -> list[int]:
    """Put an eval run on its incidents' timelines and queue it for their channels."""
    incidents = await _concerned(session=session, run=run)
    for incident in incidents:
        await incident_store.add_event(
            session=session,
            incident_id=incident.id,
            kind=EventKind.EVAL,
            actor="evals",
            at=now,
            text=f"Eval run `{run.suite}`: {run.passed}/{run.total} passed",
            data={"eval_run_id": run.id},
            dedupe_key=f"eval:{run.id}",
        )
        await queue.schedule(
            session=session,
            kind=JobKind.EVAL_POSTED,
            subject_key=f"{incident.id}:{run.id}",
            due_at=now,
            incident_id=incident.id,
            payload={"eval_run_id": run.id},
            rearm=False,
        )
    return [i.id for i in incidents]


async def _concerned(*, session: AsyncSession, run: EvalRun) -> list[Incident]:
    """The incident the run names, else the open incidents of its feature."""
    if run.incident_id is not None:
        return [await incident_store.get(session=session, incident_id=run.incident_id)]
    open_values = [s.value for s in Status if s.is_open]
    stmt = select(Incident).where(Incident.feature == run.feature, Incident.status.in_(open_values))
    return list((await session.scalars(stmt)).all())


async def notice(
    *, session: AsyncSession, config: Config, incident_id: int, run_id: int
) -> EvalNotice | None:
    """What to tell the incident channel about one eval run; None if the run is gone."""
    run = await session.get(EvalRun, run_id)
    if run is None:
        return None
    incident = await incident_store.get(session=session, incident_id=incident_id)
    sample = _sample(run, incident.id)
    window = _window(incident)
    return EvalNotice(
        incident_id=incident.id,
        channel_id=incident.channel_id,
        run=sample,
        feature=run.feature,
        phase=validation.phase(sample, window),
        where=validation.describe_run(sample, window),
        assessment=await assess(session=session, config=config, incident=incident),
    )
