"""Containment use-cases: confirm what will happen, claim a click once, record and report the run.

A run spans two transactions on purpose: the claim commits before the provider is called, so a
second click (or a second person) finds the click's key taken and the action runs once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import httpx
from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.containment import catalog, shown
from bot.containment import clients as containment_clients
from bot.containment import rules as containment_rules
from bot.containment import store as run_store
from bot.containment.schemas import IncidentFields, Outcome, Plan
from bot.errors import BadInput, ConfigError
from bot.incidents import permissions
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import ContainmentRun, Incident
from bot.vocabulary import EventKind, Role, RunState


@dataclass(frozen=True)
class Secrets:
    """What planning and running need besides the database."""

    config: Config
    environ: Mapping[str, str]
    jinja: Environment


@dataclass(frozen=True)
class PriorRun:
    """A run that already happened, in a few words."""

    run_id: int
    by: str
    at: datetime
    state: RunState


@dataclass(frozen=True)
class Confirmation:
    """What the confirm dialog shows: the exact plan, or why there is none."""

    incident_id: int
    number: int
    title: str
    generation: int
    plan: Plan | None = None
    problem: str | None = None
    prior: PriorRun | None = None
    undo_of: int | None = None

    @property
    def requests(self) -> list[shown.Request]:
        """Every request the plan sends, as people are shown it (no secrets)."""
        return shown.requests(self.plan) if self.plan is not None else []


@dataclass(frozen=True)
class Started:
    """A click claimed: the run to carry out and its plan."""

    run_id: int
    plan: Plan


@dataclass(frozen=True)
class AlreadyRan:
    """A click whose key was claimed before: the action is not run again."""

    prior: PriorRun


def click_key(incident_id: int, action_key: str, generation: int) -> str:
    """The key that makes one click of one button run once."""
    return f"{incident_id}:{action_key}:{generation}"


def undo_key(run_id: int) -> str:
    """The key that makes a run's undo happen once."""
    return f"undo:{run_id}"


def require_configured(config: Config, action_key: str) -> catalog.Action:
    """Return the catalog action, or ConfigError naming the config key to set."""
    action = catalog.get(action_key)
    if action_key not in config.actions:
        raise ConfigError(
            f"*{action.title}* is not set up: map `{action_key}` to a provider under "
            f"`actions.{action_key}` in the config (INCIDENTBOT_CONFIG), with the provider "
            "under `providers`"
        )
    return action


async def confirmation(
    *,
    session: AsyncSession,
    secrets: Secrets,
    incident_id: int,
    action_key: str,
    generation: int,
) -> Confirmation:
    """Plan the action for the dialog; a used generation turns into a deliberate run again."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    plan, problem = await _tryplan_of(session, secrets, incident, action_key)
    key = click_key(incident_id, action_key, generation)
    if await run_store.by_click_key(session=session, click_key=key) is not None:
        generation = await run_store.next_generation(
            session=session, incident_id=incident_id, action_key=action_key
        )
    prior = await run_store.latest(session=session, incident_id=incident_id, action_key=action_key)
    return Confirmation(
        incident.id,
        incident.number,
        catalog.get(action_key).title,
        generation,
        plan,
        problem,
        prior_of(prior),
    )


async def undo_confirmation(*, session: AsyncSession, run_id: int) -> Confirmation:
    """Plan the reversal of a run for the dialog, or say why it cannot be undone."""
    run = await run_store.get(session=session, run_id=run_id)
    incident = await incident_store.get(session=session, incident_id=run.incident_id)
    title = f"Undo: {catalog.get(run.action_key).title}"
    done = await run_store.by_click_key(session=session, click_key=undo_key(run.id))
    try:
        plan, problem = containment_rules.plan_undo(plan_of(run), outcome_of(run)), None
    except BadInput as exc:
        plan, problem = None, exc.reason
    return Confirmation(
        incident.id, incident.number, title, 0, plan, problem, prior_of(done), undo_of=run.id
    )


async def start(
    *,
    session: AsyncSession,
    secrets: Secrets,
    incident_id: int,
    action_key: str,
    generation: int,
    actor: str,
    now: datetime,
) -> Started | AlreadyRan:
    """Check the actor may, plan, and claim this click; AlreadyRan when it was claimed before."""
    incident = await _permitted(session, secrets.config, incident_id, actor)
    plan, problem = await _tryplan_of(session, secrets, incident, action_key)
    if plan is None:
        raise ConfigError(problem or "cannot plan this action")
    key = click_key(incident_id, action_key, generation)
    return await _claim(session, incident, plan, key, generation, actor, now, None)


async def start_undo(
    *, session: AsyncSession, config: Config, run_id: int, actor: str, now: datetime
) -> Started | AlreadyRan:
    """Check the actor may, plan the reversal, and claim the undo of this run once."""
    run = await run_store.get(session=session, run_id=run_id)
    incident = await _permitted(session, config, run.incident_id, actor)
    reverse = containment_rules.plan_undo(plan_of(run), outcome_of(run))
    return await _claim(session, incident, reverse, undo_key(run.id), 0, actor, now, run.id)


async def execute(plan: Plan, *, http: httpx.AsyncClient, secrets: Secrets) -> Outcome:
    """Run the plan against its provider with the configured timeout and retries."""
    settings = secrets.config.containment
    return await containment_clients.execute(
        plan,
        http,
        secrets=secrets.environ,
        timeout_s=settings.timeout_s,
        retries=settings.retries,
        backoff_s=settings.backoff_s,
    )


async def finish(
    *, session: AsyncSession, run_id: int, outcome: Outcome, actor: str, now: datetime
) -> None:
    """Record the outcome on the run and the timeline, and queue the channel report."""
    await run_store.finish(session=session, run_id=run_id, outcome=outcome, at=now)
    run = await run_store.get(session=session, run_id=run_id)
    plan = plan_of(run)
    await incident_store.add_event(
        session=session,
        incident_id=run.incident_id,
        kind=EventKind.CONTAINMENT,
        actor=actor,
        at=now,
        text=_timeline_text(plan, outcome, run.undo_of_id is not None),
        data={"run": run.id, "action": run.action_key, "ok": outcome.ok, "status": outcome.status},
    )
    for subject in (run.id, run.undo_of_id):
        if subject is not None:
            await queue.schedule(
                session=session,
                kind=JobKind.REPORT_RUN,
                subject_key=str(subject),
                due_at=now,
                incident_id=run.incident_id,
                payload={"run": subject},
            )


async def _claim(
    session: AsyncSession,
    incident: Incident,
    plan: Plan,
    key: str,
    generation: int,
    actor: str,
    now: datetime,
    undo_of: int | None,
) -> Started | AlreadyRan:
    new = run_store.NewRun(
        incident_id=incident.id,
        action_key=plan.action,
        provider=plan.provider,
        click_key=key,
        generation=generation,
        requested_by=actor,
        requested_at=now,
        request=plan.model_dump(mode="json"),
        undo_of_id=undo_of,
    )
    run_id = await run_store.claim(session=session, new=new)
    if run_id is not None:
        return Started(run_id, plan)
    prior = prior_of(await run_store.by_click_key(session=session, click_key=key))
    assert prior is not None  # the key conflicted, so its run exists
    return AlreadyRan(prior)


async def _permitted(
    session: AsyncSession, config: Config, incident_id: int, actor: str
) -> Incident:
    incident = await incident_store.get(session=session, incident_id=incident_id)
    held = await incident_store.roles(session=session, incident_id=incident_id)
    permissions.require(config.permissions.containment, held, actor, "run containment actions")
    return incident


async def _tryplan_of(
    session: AsyncSession, secrets: Secrets, incident: Incident, action_key: str
) -> tuple[Plan | None, str | None]:
    fields = await _fields(session, incident)
    try:
        plan = containment_rules.plan(
            action_key, secrets.config, fields, secrets.environ, secrets.jinja
        )
    except (ConfigError, BadInput) as exc:
        return None, str(exc)
    return plan, None


async def _fields(session: AsyncSession, incident: Incident) -> IncidentFields:
    held = await incident_store.roles(session=session, incident_id=incident.id)
    return IncidentFields(
        number=incident.number,
        title=incident.title,
        type=incident.type,
        severity=incident.severity,
        feature=incident.feature,
        channel_name=incident.channel_name or "",
        commander=held.get(Role.COMMANDER),
    )


def plan_of(run: ContainmentRun) -> Plan:
    """The plan a run carried out, as stored for audit."""
    return Plan.model_validate(run.request)


def outcome_of(run: ContainmentRun) -> Outcome:
    """What undo needs to know of a run's outcome."""
    return Outcome(
        ok=run.state == RunState.SUCCEEDED.value,
        status=run.response_status,
        undo=dict(run.undo_data or {}),
    )


def prior_of(run: ContainmentRun | None) -> PriorRun | None:
    """A run in a few words, None for no run."""
    if run is None:
        return None
    return PriorRun(run.id, run.requested_by, run.requested_at, run.state)


def _timeline_text(plan: Plan, outcome: Outcome, is_undo: bool) -> str:
    what = "Undo" if is_undo else "Containment"
    if outcome.ok:
        return (
            f"{what} succeeded: {plan.description} "
            f"({plan.kind.label} answered {outcome.status} in {outcome.duration_ms} ms)"
        )
    return f"{what} FAILED: {plan.description} — {outcome.error or 'no answer'}"
