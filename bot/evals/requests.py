"""Eval requests ("Run evals" clicks) and where the eval loop of an incident stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import EvalRequest, EvalRun, Incident
from bot.vocabulary import EvalRequestState


@dataclass(frozen=True)
class LoopState:
    """The newest eval request of an incident and whether its results came back."""

    requested_at: datetime
    status: EvalRequestState
    error: str | None
    results: tuple[int, int] | None  # (passed, total) of the first run since the request


async def add(
    *,
    session: AsyncSession,
    incident_id: int,
    actor: str,
    runner: str,
    request: dict[str, Any],
    now: datetime,
) -> EvalRequest:
    """Record one click."""
    row = EvalRequest(
        incident_id=incident_id,
        requested_by=actor,
        requested_at=now,
        runner=runner,
        status=EvalRequestState.QUEUED,
        request=request,
    )
    session.add(row)
    await session.flush()
    return row


async def get(*, session: AsyncSession, request_id: int) -> EvalRequest | None:
    """One request, locked for its update on PostgreSQL."""
    stmt = select(EvalRequest).where(EvalRequest.id == request_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    found: EvalRequest | None = await session.scalar(stmt)
    return found


async def loop_state(*, session: AsyncSession, incident: Incident) -> LoopState | None:
    """Where the newest eval request of the incident stands (None when nobody asked)."""
    stmt = (
        select(EvalRequest)
        .where(EvalRequest.incident_id == incident.id)
        .order_by(EvalRequest.requested_at.desc(), EvalRequest.id.desc())
        .limit(1)
    )
    request: EvalRequest | None = await session.scalar(stmt)
    if request is None:
        return None
    matches = [EvalRun.incident_id == incident.id]
    if incident.feature:
        matches.append(EvalRun.feature == incident.feature)
    run = await session.scalar(
        select(EvalRun)
        .where(or_(*matches), EvalRun.received_at >= request.requested_at)
        .order_by(EvalRun.received_at, EvalRun.id)
        .limit(1)
    )
    results = (run.passed, run.total) if run is not None else None
    return LoopState(request.requested_at, request.status, request.error, results)
