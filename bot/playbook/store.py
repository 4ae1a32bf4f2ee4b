"""Playbook queries: step states of an incident and the phase messages posted for it.

Keyword-only, take the session, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.errors import NotFound
from bot.models import PlaybookMessage, PlaybookStep
from bot.playbook.schemas import Playbook
from bot.vocabulary import StepState


@dataclass(frozen=True, slots=True)
class StepRecord:
    """Who closed a step, how, and when."""

    state: StepState
    by: str
    at: datetime


async def states(*, session: AsyncSession, incident_id: int) -> dict[str, StepRecord]:
    """Return the recorded state of every closed step of the incident, by step id."""
    rows = await session.scalars(
        select(PlaybookStep).where(PlaybookStep.incident_id == incident_id)
    )
    return {r.step_id: StepRecord(r.state, r.by, r.at) for r in rows}


def ids_in(records: dict[str, StepRecord], state: StepState) -> set[str]:
    """Return the ids of the steps in `state`."""
    return {step_id for step_id, record in records.items() if record.state is state}


async def set_state(
    *,
    session: AsyncSession,
    incident_id: int,
    step_id: str,
    state: StepState,
    by: str,
    at: datetime,
) -> bool:
    """Record a step as done or skipped; False when it already was (a double click)."""
    stmt = insert_ignoring_conflicts(session, PlaybookStep).values(
        incident_id=incident_id, step_id=step_id, state=state, by=by, at=at
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["incident_id", "step_id"],
        set_={"state": state.value, "by": by, "at": at},
        where=PlaybookStep.state != state.value,
    ).returning(PlaybookStep.id)
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def clear_state(
    *, session: AsyncSession, incident_id: int, step_ids: Iterable[str]
) -> list[str]:
    """Reopen steps (forget their state); returns the ids that were closed."""
    ids = list(step_ids)
    if not ids:
        return []
    stmt = (
        delete(PlaybookStep)
        .where(PlaybookStep.incident_id == incident_id, PlaybookStep.step_id.in_(ids))
        .returning(PlaybookStep.step_id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def ensure_messages(*, session: AsyncSession, incident_id: int, playbook: Playbook) -> None:
    """Create the phase message rows of this playbook for the incident (once)."""
    for position, phase in enumerate(playbook.phases):
        stmt = insert_ignoring_conflicts(session, PlaybookMessage).values(
            incident_id=incident_id,
            playbook_type=playbook.type,
            phase_id=phase.id,
            position=position,
            step_ids=[step.id for step in phase.steps],
        )
        await session.execute(stmt.on_conflict_do_nothing())


async def messages(
    *, session: AsyncSession, incident_id: int, playbook_type: str | None = None
) -> list[PlaybookMessage]:
    """Return the incident's phase messages (of one playbook type), in posting order."""
    stmt = select(PlaybookMessage).where(PlaybookMessage.incident_id == incident_id)
    if playbook_type is not None:
        stmt = stmt.where(PlaybookMessage.playbook_type == playbook_type)
    stmt = stmt.order_by(PlaybookMessage.id)
    return list((await session.scalars(stmt)).all())


async def get_message(*, session: AsyncSession, message_id: int) -> PlaybookMessage:
    """Load one phase message row or raise NotFound."""
    row = await session.get(PlaybookMessage, message_id, populate_existing=True)
    if row is None:
        raise NotFound(f"no playbook message {message_id}")
    return row


async def set_posted(*, session: AsyncSession, message_id: int, channel_id: str, ts: str) -> None:
    """Remember where a phase message was posted."""
    await session.execute(
        update(PlaybookMessage)
        .where(PlaybookMessage.id == message_id)
        .values(channel_id=channel_id, ts=ts)
    )


async def retire(*, session: AsyncSession, message_id: int, at: datetime) -> None:
    """Mark a replaced playbook's message as updated to say so."""
    await session.execute(
        update(PlaybookMessage).where(PlaybookMessage.id == message_id).values(retired_at=at)
    )


async def progress(
    *, session: AsyncSession, incident_id: int, playbook_type: str
) -> tuple[int, int] | None:
    """Return (closed steps, total) of the incident's posted playbook, None before it exists."""
    rows = await messages(session=session, incident_id=incident_id, playbook_type=playbook_type)
    if not rows:
        return None
    ids = {step_id for row in rows for step_id in row.step_ids}
    closed = await states(session=session, incident_id=incident_id)
    return len(ids & closed.keys()), len(ids)
