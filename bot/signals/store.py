"""Signal queries: signals by name and feature, their points, and the detector's claim."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import core_table, insert_ignoring_conflicts
from bot.models import Counter, Signal, SignalInbox, SignalPoint

DETECTOR = "signals.detector"
Key = tuple[str, str]  # (signal name, feature)


@dataclass(frozen=True)
class Known:
    id: int
    rate: bool


async def ensure(*, session: AsyncSession, keys: dict[Key, bool]) -> dict[Key, Known]:
    """The signals with these keys (key → rate?), created when new."""
    rows = [
        {"name": n, "feature": f, "rate": rate, "state": {}, "alarmed": False, "points": 0}
        for (n, f), rate in sorted(keys.items())
    ]
    stmt = insert_ignoring_conflicts(session, Signal).on_conflict_do_nothing()
    await session.execute(stmt, rows)
    table, wanted, found = core_table(Signal), sorted(keys), dict[Key, Known]()
    for start in range(0, len(wanted), 500):
        pairs = wanted[start : start + 500]
        stmt = select(table.c.id, table.c.name, table.c.feature, table.c.rate).where(
            tuple_(table.c.name, table.c.feature).in_(pairs)
        )
        for r in await session.execute(stmt):
            found[(r.name, r.feature)] = Known(r.id, r.rate)
    return found


async def add_points(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store points (signal_id, at, value, passed, total, eval_run_id) for the detector."""
    if not rows:
        return
    table = core_table(SignalPoint)
    stored = await session.execute(table.insert().returning(table.c.id), list(rows))
    ids = [{"point_id": i} for i in stored.scalars().all()]
    await session.execute(core_table(SignalInbox).insert(), ids)


async def claim_detector(*, session: AsyncSession) -> None:
    """Hold the detector until this transaction ends: one run at a time across replicas."""
    table = core_table(Counter)
    await session.execute(
        insert_ignoring_conflicts(session, Counter)
        .values(name=DETECTOR, value=0)
        .on_conflict_do_nothing()
    )
    # An UPDATE takes the row's lock on PostgreSQL (SQLite writers are serialised anyway).
    await session.execute(
        update(table).where(table.c.name == DETECTOR).values(value=table.c.value + 1)
    )


async def undetected(*, session: AsyncSession, limit: int) -> list[Any]:
    """Points the detector has not seen, in arrival order."""
    table, inbox = core_table(SignalPoint), core_table(SignalInbox)
    stmt = (
        select(table.c.id, table.c.signal_id, table.c.at, table.c.value, table.c.total)
        .join(inbox, inbox.c.point_id == table.c.id)
        .order_by(inbox.c.point_id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def mark_detected(*, session: AsyncSession, ids: Sequence[int]) -> None:
    """Note that the detector has seen these points."""
    inbox = core_table(SignalInbox)
    for start in range(0, len(ids), 5000):
        chunk = list(ids[start : start + 5000])
        await session.execute(delete(inbox).where(inbox.c.point_id.in_(chunk)))


@dataclass
class Watched:
    """A signal as the detector reads and writes it (plain data, not an ORM row)."""

    id: int
    name: str
    feature: str
    rate: bool
    state: dict[str, Any]
    alarmed: bool
    points: int
    last_at: datetime | None

    def row(self) -> dict[str, Any]:
        """What `save_states` writes."""
        return {
            "id": self.id,
            "state": self.state,
            "alarmed": self.alarmed,
            "points": self.points,
            "last_at": self.last_at,
        }


async def by_ids(*, session: AsyncSession, ids: Collection[int]) -> dict[int, Watched]:
    """Signals by id, for the detector."""
    table = core_table(Signal)
    found: dict[int, Watched] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5000):
        stmt = select(table).where(table.c.id.in_(ordered[start : start + 5000]))
        for r in await session.execute(stmt):
            found[r.id] = Watched(
                r.id, r.name, r.feature, r.rate, dict(r.state or {}), r.alarmed, r.points, r.last_at
            )
    return found


async def save_states(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Write detector states (id, state, alarmed, points, last_at) in one statement."""
    if not rows:
        return
    table = core_table(Signal)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            state=bindparam("b_state"),
            alarmed=bindparam("b_alarmed"),
            points=bindparam("b_points"),
            last_at=bindparam("b_last_at"),
        )
    )
    await session.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in rows])


async def get(*, session: AsyncSession, name: str, feature: str) -> Signal | None:
    """One signal by name and feature."""
    stmt = select(Signal).where(Signal.name == name, Signal.feature == feature)
    found: Signal | None = await session.scalar(stmt)
    return found


async def series(
    *, session: AsyncSession, signal_id: int, since: datetime, until: datetime | None = None
) -> list[SignalPoint]:
    """A signal's points in a time window, oldest first."""
    stmt = select(SignalPoint).where(SignalPoint.signal_id == signal_id, SignalPoint.at >= since)
    if until is not None:
        stmt = stmt.where(SignalPoint.at <= until)
    return list((await session.scalars(stmt.order_by(SignalPoint.at, SignalPoint.id))).all())


async def pending_count(*, session: AsyncSession) -> int:
    """How many points wait for the detector."""
    stmt = select(func.count()).select_from(SignalInbox)
    return int(await session.scalar(stmt) or 0)
