"""Eval run queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.evals.schemas import EvalIn
from bot.models import EvalRun


async def add(
    *, session: AsyncSession, run: EvalIn, incident_id: int | None, now: datetime
) -> EvalRun:
    """Record an eval run."""
    row = EvalRun(
        suite=run.suite,
        feature=run.feature,
        passed=run.passed,
        total=run.total,
        at=run.at or now,
        versions=run.versions,
        incident_id=incident_id,
        link=run.link,
        received_at=now,
    )
    session.add(row)
    await session.flush()
    return row
