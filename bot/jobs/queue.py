"""Due work in the database: the source of truth for everything with a time in it.

Workers claim due rows (on PostgreSQL with FOR UPDATE SKIP LOCKED, so replicas never take the
same row), run them, and mark them done or reschedule them with backoff. A claim is short and
renewed while its handler runs, so work held by a crashed process is retried within seconds.
On PostgreSQL, a transaction that queues work also sends a NOTIFY, which wakes every worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db import insert_ignoring_conflicts
from bot.jobs.kinds import JobKind
from bot.models import DueWork

# A running worker renews its claims every few seconds (see Worker); a claim's token stops a
# stale run from finishing work that was claimed again after its claim lapsed.
CLAIM_FOR = timedelta(seconds=15)
SCHEDULED = "due_work_scheduled"
NOTIFIED = "due_work_notified"
CHANNEL = "due_work"
MAX_BACKOFF = timedelta(minutes=10)
DEFAULT_PRIORITY = 100


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    subject_key: str
    incident_id: int | None
    payload: dict[str, Any]
    attempts: int  # runs counted towards giving up, this one included
    token: str
    armed_at: datetime  # when this (kind, subject) was last scheduled afresh


async def schedule(
    *,
    session: AsyncSession,
    kind: JobKind,
    subject_key: str,
    due_at: datetime,
    incident_id: int | None = None,
    payload: dict[str, Any] | None = None,
    rearm: bool = True,
    sequence_key: str | None = None,
) -> None:
    """Schedule work once per (kind, subject); done work is re-armed unless `rearm` is False.

    Work with a `sequence_key` runs after all earlier work with the same key has finished.

    Pending work absorbs the new request, unless a worker is running it right now: that run may
    have read the state before this change, so the work runs once more when it finishes.
    """
    await _notify(session)
    stmt = select(DueWork.id, DueWork.claimed_by).where(
        DueWork.kind == kind, DueWork.subject_key == subject_key, DueWork.done_at.is_(None)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Locked until this transaction commits, so no worker runs it on the old state meanwhile.
        stmt = stmt.with_for_update()
    pending = (await session.execute(stmt)).first()
    if pending is not None:
        if pending.claimed_by is not None and rearm:
            await _run_again(session, [pending.id], due_at)
        return
    values = {
        "kind": kind,
        "subject_key": subject_key,
        "due_at": due_at,
        "incident_id": incident_id,
        "payload": payload or {},
        "attempts": 0,
        "created_at": due_at,
        "sequence_key": sequence_key,
    }
    stmt = insert_ignoring_conflicts(session, DueWork).values(**values)
    if not rearm:
        await session.execute(stmt.on_conflict_do_nothing())
        return
    stmt = stmt.on_conflict_do_update(
        index_elements=["kind", "subject_key"],
        set_={
            "due_at": due_at,
            "created_at": due_at,
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


@dataclass(frozen=True)
class NewJob:
    """Work to add once: a second job with the same kind and subject is dropped."""

    kind: JobKind
    subject_key: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    sequence_key: str | None = None
    incident_id: int | None = None
    priority: int = DEFAULT_PRIORITY  # lower is claimed first among due work


async def add_once(*, session: AsyncSession, jobs: Sequence[NewJob]) -> None:
    """Add new work in one statement; work already known by (kind, subject) is left alone."""
    if not jobs:
        return
    await _notify(session)
    rows = {  # in submission order: work sharing a sequence key runs in that order
        (j.kind, j.subject_key): {
            "kind": j.kind,
            "subject_key": j.subject_key,
            "due_at": j.due_at,
            "created_at": j.due_at,
            "payload": j.payload,
            "attempts": 0,
            "sequence_key": j.sequence_key,
            "incident_id": j.incident_id,
            "priority": j.priority,
        }
        for j in jobs
    }
    stmt = insert_ignoring_conflicts(session, DueWork).on_conflict_do_nothing()
    await session.execute(stmt, list(rows.values()))


async def schedule_many(
    *,
    session: AsyncSession,
    kind: JobKind,
    subjects: Mapping[str, int | None],
    due_at: datetime,
) -> None:
    """Schedule work for many subjects (subject key → incident id) as `schedule` does each.

    Pending work absorbs the request, running work runs once more, done work is re-armed; four
    statements however many subjects (alert intake refreshes many summaries at once).
    """
    if not subjects:
        return
    await _notify(session)
    keys = sorted(subjects)  # one lock order for all writers
    stmt = (
        select(DueWork.id, DueWork.subject_key, DueWork.claimed_by, DueWork.done_at)
        .where(DueWork.kind == kind, DueWork.subject_key.in_(keys))
        .order_by(DueWork.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt)).all()
    done = [r.id for r in found if r.done_at is not None]
    running = [r.id for r in found if r.done_at is None and r.claimed_by is not None]
    fresh: list[dict[str, Any]] = [
        {
            "kind": kind,
            "subject_key": key,
            "incident_id": subjects[key],
            "due_at": due_at,
            "created_at": due_at,
            "payload": {},
            "attempts": 0,
        }
        for key in sorted(set(keys) - {r.subject_key for r in found})
    ]
    if fresh:
        insert_stmt = insert_ignoring_conflicts(session, DueWork).on_conflict_do_nothing()
        await session.execute(insert_stmt, fresh)
    if done:
        await session.execute(
            update(DueWork)
            .where(DueWork.id.in_(done))
            .values(
                due_at=due_at,
                created_at=due_at,
                done_at=None,
                attempts=0,
                payload={},
                claimed_by=None,
                claimed_until=None,
                last_error=None,
            )
        )
    if running:
        await _run_again(session, running, due_at)


async def _notify(session: AsyncSession) -> None:
    """Wake workers once this transaction commits (in-process via the flag, else by NOTIFY)."""
    session.info[SCHEDULED] = True  # tells the caller's scope to wake the local worker
    if session.info.get(NOTIFIED) or session.get_bind().dialect.name != "postgresql":
        return
    session.info[NOTIFIED] = True
    await session.execute(text(f"NOTIFY {CHANNEL}"))  # delivered at commit, dropped on rollback


async def _run_again(session: AsyncSession, work_ids: list[int], due_at: datetime) -> None:
    # The running worker keeps its claim (no second run starts meanwhile); when it finishes,
    # `complete` leaves the work pending, due at `due_at`, for a fresh run.
    await session.execute(
        update(DueWork)
        .where(DueWork.id.in_(work_ids), DueWork.done_at.is_(None))
        .values(run_again=True, due_at=due_at)
    )


async def cancel(*, session: AsyncSession, kind: JobKind, subject_key: str, now: datetime) -> None:
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
    kinds: Collection[str],
    limit: int = 20,
    running: Collection[int] = (),
) -> list[Claimed]:
    """Claim due, unclaimed (or expired) work of these kinds, except what this worker runs.

    Work waits while earlier work with its sequence key is unfinished. Among due work, lower
    `priority` goes first (channel openings by severity), then the longest due.
    """
    earlier = aliased(DueWork)
    in_sequence = or_(
        DueWork.sequence_key.is_(None),
        ~exists().where(
            earlier.sequence_key == DueWork.sequence_key,
            earlier.id < DueWork.id,
            earlier.done_at.is_(None),
        ),
    )
    due = (
        select(DueWork.id)
        .where(DueWork.done_at.is_(None), DueWork.due_at <= now)
        .where(or_(DueWork.claimed_until.is_(None), DueWork.claimed_until < now))
        .where(DueWork.kind.in_(list(kinds)), in_sequence)
        .order_by(DueWork.priority, DueWork.due_at, DueWork.id)
        .limit(limit)
    )
    if running:
        due = due.where(DueWork.id.not_in(list(running)))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    token = uuid.uuid4().hex  # new for every claim: a stale run's token no longer matches
    stmt = (
        update(DueWork)
        .where(DueWork.id.in_(due.scalar_subquery()))
        .values(
            claimed_by=worker,
            claimed_until=now + CLAIM_FOR,
            claim_token=token,
            attempts=DueWork.attempts + 1,
        )
        .returning(
            DueWork.id,
            DueWork.kind,
            DueWork.subject_key,
            DueWork.incident_id,
            DueWork.payload,
            DueWork.attempts,
            DueWork.created_at,
            DueWork.due_at,
            DueWork.priority,
        )
        .execution_options(synchronize_session=False)
    )
    rows = sorted((await session.execute(stmt)).all(), key=lambda r: (r.priority, r.due_at, r.id))
    return [
        Claimed(
            r.id,
            r.kind,
            r.subject_key,
            r.incident_id,
            dict(r.payload),
            r.attempts,
            token,
            r.created_at,
        )
        for r in rows
    ]


async def renew(*, session: AsyncSession, items: Collection[Claimed], now: datetime) -> set[int]:
    """Extend the claims this worker still holds; returns the ids it no longer holds."""
    tokens = {item.token for item in items}
    if not tokens:
        return set()
    stmt = (
        update(DueWork)
        .where(DueWork.id.in_([item.id for item in items]), DueWork.claim_token.in_(tokens))
        .where(DueWork.done_at.is_(None))
        .values(claimed_until=now + CLAIM_FOR)
        .returning(DueWork.id)
    )
    held = set((await session.scalars(stmt)).all())
    return {item.id for item in items} - held


async def release(*, session: AsyncSession, items: Collection[Claimed]) -> None:
    """Give claimed work back unfinished (on shutdown), so any worker runs it at once."""
    tokens = {item.token for item in items}
    if not tokens:
        return
    await session.execute(
        update(DueWork)
        .where(DueWork.id.in_([item.id for item in items]), DueWork.claim_token.in_(tokens))
        .values(
            claimed_by=None,
            claimed_until=None,
            claim_token=None,
            run_again=False,
        )
    )
    await _notify(session)


async def next_due(
    *, session: AsyncSession, kinds: Collection[str], after: datetime
) -> datetime | None:
    """When the soonest unclaimed work of these kinds falls due (None when there is none)."""
    stmt = select(func.min(DueWork.due_at)).where(
        DueWork.done_at.is_(None),
        DueWork.claimed_until.is_(None),
        DueWork.kind.in_(list(kinds)),
        DueWork.due_at > after,
    )
    found: datetime | None = await session.scalar(stmt)
    return found


async def complete(*, session: AsyncSession, item: Claimed, now: datetime) -> None:
    """Mark claimed work done (pending again if it was scheduled while it ran)."""
    await _finish(session, item, now, error=None)


async def give_up(*, session: AsyncSession, item: Claimed, now: datetime, error: str) -> None:
    """Stop retrying claimed work, keeping the last error on the row.

    Work scheduled again while this run failed is not given up: it runs afresh on the new state.
    """
    await _finish(session, item, now, error=f"gave up: {error}"[:2000])


async def _finish(session: AsyncSession, item: Claimed, now: datetime, error: str | None) -> None:
    again = DueWork.run_again.is_(True)
    values: dict[str, Any] = {
        "done_at": case((again, None), else_=now),
        "attempts": case((again, 0), else_=DueWork.attempts),
        "run_again": False,
        "claimed_by": None,
        "claimed_until": None,
        "claim_token": None,
    }
    if error is not None:
        values["last_error"] = case((again, DueWork.last_error), else_=error)
    await session.execute(
        update(DueWork)
        .where(DueWork.id == item.id, DueWork.claim_token == item.token)
        .values(**values)
    )


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential backoff (1 s, 2 s, 4 s … 10 min), or what the remote asked for."""
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return min(timedelta(seconds=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


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
            run_again=False,
            last_error=error[:2000],
        )
    )


async def wait(
    *, session: AsyncSession, item: Claimed, now: datetime, delay: float, why: str
) -> None:
    """Release claimed work to run again after `delay` s, not counting this run as an attempt."""
    await session.execute(
        update(DueWork)
        .where(DueWork.id == item.id, DueWork.claim_token == item.token)
        .values(
            due_at=now + timedelta(seconds=delay),
            claimed_by=None,
            claimed_until=None,
            claim_token=None,
            run_again=False,
            attempts=DueWork.attempts - 1,
            last_error=why[:2000],
        )
    )


async def pending(*, session: AsyncSession, kind: JobKind | None = None) -> list[DueWork]:
    """Work not yet done, soonest first."""
    stmt = select(DueWork).where(DueWork.done_at.is_(None)).order_by(DueWork.due_at)
    if kind is not None:
        stmt = stmt.where(DueWork.kind == kind)
    return list((await session.scalars(stmt)).all())
