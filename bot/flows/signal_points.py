"""Points of quality signals coming in: batches from POST /signals, and eval runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BadInput
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import EvalRun
from bot.signals import store as signal_store
from bot.signals.schemas import EVAL_SIGNAL, SignalBatch

DETECT_SUBJECT = "points"


@dataclass(frozen=True)
class Accepted:
    points: int
    signals: int


async def record(
    *, session: AsyncSession, batches: Sequence[SignalBatch], now: datetime
) -> Accepted:
    """Store batches of points and queue the detector (BadInput if a signal changes kind)."""
    kinds: dict[signal_store.Key, bool] = {}
    for i, batch in enumerate(batches):
        rate = batch.points[0].is_rate
        if kinds.setdefault((batch.signal, batch.feature), rate) != rate:
            raise BadInput(
                _kind_error(batch.signal, batch.feature, rate), field=f"batches.{i}.signal"
            )
    signals = await signal_store.ensure(session=session, keys=kinds)
    for i, batch in enumerate(batches):
        known = signals[(batch.signal, batch.feature)]
        if known.rate != kinds[(batch.signal, batch.feature)]:
            raise BadInput(
                _kind_error(batch.signal, batch.feature, known.rate), field=f"batches.{i}.signal"
            )
    rows = [
        {
            "signal_id": signals[(b.signal, b.feature)].id,
            "at": p.at or now,
            "value": p.passed / p.total if p.total and p.passed is not None else p.value,
            "passed": p.passed,
            "total": p.total,
            "eval_run_id": None,
        }
        for b in batches
        for p in b.points
    ]
    await signal_store.add_points(session=session, rows=rows)
    await detect_soon(session=session, now=now)
    return Accepted(points=len(rows), signals=len(signals))


def _kind_error(name: str, feature: str, rate: bool) -> str:
    takes = "rates (passed and total)" if rate else "values"
    return f"signal {name!r} of feature {feature!r} takes {takes}; its kind cannot change"


async def record_eval(*, session: AsyncSession, run: EvalRun, now: datetime) -> None:
    """Make an eval run a point of its suite's pass-rate signal."""
    key = (EVAL_SIGNAL.format(suite=run.suite), run.feature)
    signals = await signal_store.ensure(session=session, keys={key: True})
    signal = signals[key]
    if not signal.rate:
        return  # someone posts values under this name; the run stays an eval run only
    row = {
        "signal_id": signal.id,
        "at": run.at,
        "value": run.passed / run.total,
        "passed": run.passed,
        "total": run.total,
        "eval_run_id": run.id,
    }
    await signal_store.add_points(session=session, rows=[row])
    await detect_soon(session=session, now=now)


async def detect_soon(*, session: AsyncSession, now: datetime) -> None:
    """Queue the detector (one pending run absorbs every request)."""
    await queue.schedule(
        session=session, kind=JobKind.SIGNALS_DETECT, subject_key=DETECT_SUBJECT, due_at=now
    )
