"""Containment audit queries. Keyword-only, take the session, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.containment.schemas import Outcome
from bot.db import insert_ignoring_conflicts
from bot.errors import NotFound
from bot.models import ContainmentRun
from bot.vocabulary import RunState


@dataclass(frozen=True, slots=True)
class NewRun:
    """A run about to start: what, by whom, and the click that asked for it."""

    incident_id: int
    action_key: str
    provider: str
    click_key: str
    generation: int
    requested_by: str
    requested_at: datetime
    request: dict[str, Any]
    undo_of_id: int | None = None


async def claim(*, session: AsyncSession, new: NewRun) -> int | None:
    """Insert a running run; None when this click's key has run already (exactly once)."""
    stmt = insert_ignoring_conflicts(session, ContainmentRun).values(
        incident_id=new.incident_id,
        action_key=new.action_key,
        provider=new.provider,
        click_key=new.click_key,
        generation=new.generation,
        state=RunState.RUNNING,
        requested_by=new.requested_by,
        requested_at=new.requested_at,
        request=new.request,
        undo_of_id=new.undo_of_id,
        attempts=0,
        undo_data={},
    )
    result = await session.execute(stmt.on_conflict_do_nothing().returning(ContainmentRun.id))
    return result.scalar_one_or_none()


async def get(*, session: AsyncSession, run_id: int) -> ContainmentRun:
    """Load a run or raise NotFound."""
    run = await session.get(ContainmentRun, run_id, populate_existing=True)
    if run is None:
        raise NotFound(f"no containment run {run_id}")
    return run


async def by_click_key(*, session: AsyncSession, click_key: str) -> ContainmentRun | None:
    """Return the run a click key started, if any."""
    stmt = select(ContainmentRun).where(ContainmentRun.click_key == click_key)
    return (await session.scalars(stmt)).first()


async def next_generation(*, session: AsyncSession, incident_id: int, action_key: str) -> int:
    """Return the generation a deliberate new run of this action gets."""
    stmt = select(func.max(ContainmentRun.generation)).where(
        ContainmentRun.incident_id == incident_id,
        ContainmentRun.action_key == action_key,
        ContainmentRun.undo_of_id.is_(None),
    )
    return int((await session.scalar(stmt)) or 0) + 1


async def latest(
    *, session: AsyncSession, incident_id: int, action_key: str
) -> ContainmentRun | None:
    """Return the newest run of this action in the incident (undos aside), if any."""
    stmt = (
        select(ContainmentRun)
        .where(
            ContainmentRun.incident_id == incident_id,
            ContainmentRun.action_key == action_key,
            ContainmentRun.undo_of_id.is_(None),
        )
        .order_by(ContainmentRun.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def undo_of(*, session: AsyncSession, run_id: int) -> ContainmentRun | None:
    """Return the run that undid this one, if any."""
    stmt = select(ContainmentRun).where(ContainmentRun.undo_of_id == run_id)
    return (await session.scalars(stmt)).first()


async def finish(*, session: AsyncSession, run_id: int, outcome: Outcome, at: datetime) -> None:
    """Record what the provider answered."""
    state = RunState.SUCCEEDED if outcome.ok else RunState.FAILED
    await session.execute(
        update(ContainmentRun)
        .where(ContainmentRun.id == run_id)
        .values(
            state=state,
            finished_at=at,
            response_status=outcome.status,
            response_body=outcome.body,
            duration_ms=outcome.duration_ms,
            attempts=outcome.attempts,
            error=outcome.error,
            undo_data=dict(outcome.undo),
        )
    )


async def set_message(*, session: AsyncSession, run_id: int, ts: str) -> None:
    """Remember the channel message that reports the run."""
    await session.execute(
        update(ContainmentRun).where(ContainmentRun.id == run_id).values(message_ts=ts)
    )


async def for_incident(*, session: AsyncSession, incident_id: int) -> list[ContainmentRun]:
    """Every run of an incident, oldest first."""
    stmt = (
        select(ContainmentRun)
        .where(ContainmentRun.incident_id == incident_id)
        .order_by(ContainmentRun.id)
    )
    return list((await session.scalars(stmt)).all())
