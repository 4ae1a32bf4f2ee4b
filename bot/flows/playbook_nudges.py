"""Phase nudges: a phase still open past its time box tells the owners of its open steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.playbook import Playbooks
from bot.incidents import store as incident_store
from bot.playbook import rules as playbook_rules
from bot.playbook import store as playbook_store
from bot.playbook.schemas import Phase, Step
from bot.vocabulary import EventKind, IncidentType, StepState


@dataclass(frozen=True)
class OpenStep:
    """A step still open, and who holds its owner role (None when nobody does)."""

    step: Step
    holder: str | None


@dataclass(frozen=True)
class Nudge:
    """A phase past its time box with steps still open, and who owns them."""

    channel_id: str
    phase: Phase
    due_at: datetime
    open_steps: list[OpenStep] = field(default_factory=list)


async def phase_nudge(
    *,
    session: AsyncSession,
    incident_id: int,
    playbook_type: IncidentType,
    phase_id: str,
    playbooks: Playbooks,
    now: datetime,
) -> Nudge | None:
    """Return the nudge for a phase past its time box, None when there is nothing to say."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    if incident.type != playbook_type.value or not incident.status.is_open:
        return None
    if incident.channel_id is None or await _nudged(session, incident.id, playbook_type, phase_id):
        return None
    phase = next(p for p in playbooks[playbook_type].phases if p.id == phase_id)
    records = await playbook_store.states(session=session, incident_id=incident.id)
    still_open = playbook_rules.open_steps(
        phase,
        playbook_store.ids_in(records, StepState.DONE),
        playbook_store.ids_in(records, StepState.SKIPPED),
    )
    if not still_open:
        return None
    holders = await incident_store.roles(session=session, incident_id=incident.id)
    due_at = playbook_rules.phase_due_at(phase, incident.declared_at)
    steps = [OpenStep(step, holders.get(step.owner)) for step in still_open]
    return Nudge(incident.channel_id, phase, due_at, steps)


async def nudged(
    *,
    session: AsyncSession,
    incident_id: int,
    playbook_type: IncidentType,
    phase_id: str,
    open_count: int,
    now: datetime,
) -> None:
    """Put the nudge on the timeline (once per phase, which also keeps it from repeating)."""
    await incident_store.add_event(
        session=session,
        incident_id=incident_id,
        kind=EventKind.STEP,
        actor="bot",
        at=now,
        text=f"Nudged owners: phase {phase_id} past its time box with {open_count} open steps",
        data={"phase": phase_id, "type": playbook_type.value},
        dedupe_key=_nudge_key(playbook_type, phase_id),
    )


async def _nudged(
    session: AsyncSession, incident_id: int, playbook_type: IncidentType, phase_id: str
) -> bool:
    return await incident_store.has_event(
        session=session, incident_id=incident_id, dedupe_key=_nudge_key(playbook_type, phase_id)
    )


def _nudge_key(playbook_type: IncidentType, phase_id: str) -> str:
    return f"phase-nudge:{playbook_type.value}:{phase_id}"
