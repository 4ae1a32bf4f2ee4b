"""The outcome message of a containment run: what ran, the answer, and what can follow (undo,
run again, mark the incident contained)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.containment import catalog
from bot.containment import rules as containment_rules
from bot.containment import store as run_store
from bot.errors import BadInput
from bot.flows import containment as containment_flows
from bot.flows import incidents as incident_flows
from bot.flows.containment import PriorRun
from bot.incidents import permissions
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import ContainmentRun
from bot.vocabulary import RunState, Status


@dataclass(frozen=True)
class RunView:
    """Everything the outcome message shows."""

    run_id: int
    incident_id: int
    channel_id: str | None
    message_ts: str | None
    title: str
    description: str
    provider: str
    state: RunState
    requested_by: str
    requested_at: datetime
    status: int | None
    error: str | None
    body: str
    duration_ms: int | None
    attempts: int
    next_generation: int
    action_key: str
    undo_of_title: str | None = None
    undone: PriorRun | None = None
    undo_problem: str | None = None
    incident_status: Status = Status.TRIAGE
    contained_at: datetime | None = None

    @property
    def offers_contain(self) -> bool:
        """Whether the message offers *Mark contained*: a success while not contained yet."""
        return (
            self.state is RunState.SUCCEEDED
            and self.undo_of_title is None
            and self.undone is None
            and self.incident_status in (Status.TRIAGE, Status.INVESTIGATING)
        )


async def reported(*, session: AsyncSession, run_id: int, ts: str) -> None:
    """Remember the message that reports a run."""
    await run_store.set_message(session=session, run_id=run_id, ts=ts)


async def run_view(*, session: AsyncSession, run_id: int) -> RunView:
    """Gather what the outcome message of a run shows."""
    run = await run_store.get(session=session, run_id=run_id)
    incident = await incident_store.get(session=session, incident_id=run.incident_id)
    plan = containment_flows.plan_of(run)
    undone = await run_store.undo_of(session=session, run_id=run.id)
    original = (
        await run_store.get(session=session, run_id=run.undo_of_id) if run.undo_of_id else None
    )
    return RunView(
        run_id=run.id,
        incident_id=incident.id,
        channel_id=incident.channel_id,
        message_ts=run.message_ts,
        title=catalog.get(run.action_key).title,
        description=plan.description,
        provider=plan.kind.label,
        state=run.state,
        requested_by=run.requested_by,
        requested_at=run.requested_at,
        status=run.response_status,
        error=run.error,
        body=run.response_body or "",
        duration_ms=run.duration_ms,
        attempts=run.attempts,
        next_generation=await run_store.next_generation(
            session=session, incident_id=incident.id, action_key=run.action_key
        ),
        action_key=run.action_key,
        undo_of_title=catalog.get(original.action_key).title if original else None,
        undone=containment_flows.prior_of(undone),
        undo_problem=None if original else _undo_problem(run),
        incident_status=incident.status,
        contained_at=incident.contained_at,
    )


@dataclass(frozen=True)
class Contained:
    previous: Status
    reason: str


async def mark_contained(
    *, session: AsyncSession, config: Config, run_id: int, actor: str, now: datetime
) -> Contained:
    """Mark the run's incident contained (for the roles that may run containment)."""
    run = await run_store.get(session=session, run_id=run_id)
    held = await incident_store.roles(session=session, incident_id=run.incident_id)
    permissions.require(config.permissions.containment, held, actor, "mark the incident contained")
    reason = f"after “{catalog.get(run.action_key).title}” succeeded"
    previous = await incident_flows.set_status(
        session=session,
        config=config,
        incident_id=run.incident_id,
        target=Status.CONTAINED,
        actor=actor,
        now=now,
        reason=reason,
    )
    await queue.schedule(
        session=session,
        kind=JobKind.REPORT_RUN,
        subject_key=str(run.id),
        due_at=now,
        incident_id=run.incident_id,
        payload={"run": run.id},
    )
    return Contained(previous, reason)


def _undo_problem(run: ContainmentRun) -> str | None:
    """Why this run offers no undo (None when it does)."""
    if run.state != RunState.SUCCEEDED.value:
        return "nothing to undo"
    try:
        containment_rules.plan_undo(
            containment_flows.plan_of(run), containment_flows.outcome_of(run)
        )
    except BadInput as exc:
        return exc.reason
    return None
