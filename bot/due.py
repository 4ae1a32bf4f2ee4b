"""Due work in the database: the source of truth for everything with a time in it.

The scheduler is only a clock. Each tick claims due rows (on PostgreSQL with
FOR UPDATE SKIP LOCKED, so replicas never take the same row), runs them, and marks them done
or reschedules them with backoff. A claim expires, so work held by a crashed process is retried.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.models import DueWork

# Longer than any handler runs (Slack calls time out after 15 s and retry 3 times); a worker
# never re-claims work it is still running, and a claim's token stops a stale run finishing it.
CLAIM_FOR = timedelta(minutes=10)
SCHEDULED = "due_work_scheduled"
MAX_BACKOFF = timedelta(minutes=10)


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    subject_key: str
    incident_id: int | None
    payload: dict[str, Any]
    attempts: int
    token: str


async def schedule(
    *,
    session: AsyncSession,
    kind: str,
    subject_key: str,
    due_at: datetime,
    incident_id: int | None = None,
    payload: dict[str, Any] | None = None,
    rearm: bool = True,
) -> None:
    """Schedule work once per (kind, subject); done work is re-armed unless `rearm` is False.

    Pending work absorbs the new request, unless a worker is running it right now: that run may
    have read the state before this change, so its claim is released and the work runs again.
    """
    session.info[SCHEDULED] = True  # tells the caller's scope to wake the worker after commit
    stmt = select(DueWork.id, DueWork.claimed_by).where(
        DueWork.kind == kind, DueWork.subject_key == subject_key, DueWork.done_at.is_(None)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Locked until this transaction commits, so no worker runs it on the old state meanwhile.
        stmt = stmt.with_for_update()
    pending = (await session.execute(stmt)).first()
    if pending is not None:
        if pending.claimed_by is not None and rearm:
            await _run_again(session, pending.id, due_at)
        return
    values = {
        "kind": kind,
        "subject_key": subject_key,
        "due_at": due_at,
        "incident_id": incident_id,
        "payload": payload or {},
        "attempts": 0,
        "created_at": due_at,
    }
    stmt = insert_ignoring_conflicts(session, DueWork).values(**values)
    if not rearm:
        await session.execute(stmt.on_conflict_do_nothing())
        return
    stmt = stmt.on_conflict_do_update(
        index_elements=["kind", "subject_key"],
        set_={
            "due_at": due_at,
            "done_at": None,
            "attempts": 0,
            "payload": payload or {},
            "claimed_by": None,
            "claimed_until": None,
            "last_error": None,
        },
        where=DueWork.done_at.is_not(None),
    )
    await session.execute(stmt)


async def _run_again(session: AsyncSession, work_id: int, due_at: datetime) -> None:
    # The running worker no longer holds the claim, so its complete() changes nothing.
    await session.execute(
        update(DueWork)
        .where(DueWork.id == work_id, DueWork.done_at.is_(None))
        .values(claimed_by=None, claimed_until=None, claim_token=None, attempts=0, due_at=due_at)
    )


async def cancel(*, session: AsyncSession, kind: str, subject_key: str, now: datetime) -> None:
    """Mark pending work as done without running it."""
    await session.execute(
        update(DueWork)
        .where(DueWork.kind == kind, DueWork.subject_key == subject_key, DueWork.done_at.is_(None))
        .values(done_at=now, last_error="cancelled")
    )


async def claim(
    *,
    session: AsyncSession,
    worker: str,
    now: datetime,
    limit: int = 20,
    running: Collection[int] = (),
) -> list[Claimed]:
    """Claim due, unclaimed (or expired) work for this worker, except what it is running."""
    stmt = (
        select(DueWork)
        .where(DueWork.done_at.is_(None), DueWork.due_at <= now)
        .where(or_(DueWork.claimed_until.is_(None), DueWork.claimed_until < now))
        .order_by(DueWork.due_at, DueWork.id)
        .limit(limit)
    )
    if running:
        stmt = stmt.where(DueWork.id.not_in(list(running)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list((await session.scalars(stmt)).all())
    for row in rows:
        row.claimed_by, row.claimed_until = worker, now + CLAIM_FOR
        row.claim_token = uuid.uuid4().hex
        row.attempts += 1
    await session.flush()
    return [
        Claimed(
            r.id,
            r.kind,
            r.subject_key,
            r.incident_id,
            dict(r.payload),
            r.attempts,
            r.claim_token or "",
        )
        for r in rows
    ]


async def complete(*, session: AsyncSession, item: Claimed, now: datetime) -> None:
    """Mark claimed work done (unless it was re-armed or re-claimed meanwhile)."""
    await session.execute(
        update(DueWork)
        .where(DueWork.id == item.id, DueWork.claim_token == item.token)
        .values(done_at=now, claimed_until=None, claim_token=None)
    )


async def give_up(*, session: AsyncSession, item: Claimed, now: datetime, error: str) -> None:
    """Stop retrying claimed work, keeping the last error on the row."""
    await session.execute(
        update(DueWork)
        .where(DueWork.id == item.id, DueWork.claim_token == item.token)
        .values(done_at=now, claimed_until=None, last_error=f"gave up: {error}"[:2000])
    )


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential backoff (5 s, 10 s, 20 s … 10 min), or what the remote asked for."""
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


async def retry_later(
    *,
    session: AsyncSession,
    item: Claimed,
    now: datetime,
    error: str,
    retry_after: float | None = None,
) -> None:
    """Release claimed work to run again after a backoff, keeping the error."""
    await session.execute(
        update(DueWork)
        .where(DueWork.id == item.id, DueWork.claim_token == item.token)
        .values(
            due_at=now + backoff(item.attempts, retry_after),
            claimed_by=None,
            claimed_until=None,
            claim_token=None,
            last_error=error[:2000],
        )
    )


async def pending(*, session: AsyncSession, kind: str | None = None) -> list[DueWork]:
    """Work not yet done, soonest first."""
    stmt = select(DueWork).where(DueWork.done_at.is_(None)).order_by(DueWork.due_at)
    if kind is not None:
        stmt = stmt.where(DueWork.kind == kind)
    return list((await session.scalars(stmt)).all())
