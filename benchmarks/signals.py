"""Signal throughput: POST /signals and the incremental detector in the worker.

On a fresh database (SQLite and PostgreSQL), prints:
- the time to accept a 10,000-point batch at POST /signals over real HTTP (202 after commit),
  best and median of several batches;
- the time the worker takes to run the detector over 100,000 new points across 10,000 signals
  whose baselines are already learnt (10 points each; each point updates its signal's state,
  no history is re-read), and that every point was seen once.

    python -m benchmarks.signals [--db sqlite,postgresql] [--signals 10000] [--per-signal 10]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from benchmarks.common import database, run
from bot.api.app import create_app
from bot.config import Config
from bot.db import make_engine, make_sessionmaker, session_scope
from bot.deps import Deps
from bot.flows import signal_points
from bot.jobs.handlers import JobEnv, handlers
from bot.jobs.worker import Worker
from bot.models import Alert, SignalInbox
from bot.sandbox.stage import serve_asgi
from bot.settings import Settings
from bot.signals.schemas import SignalBatch

TOKEN = "bench-token"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
WARM = 60  # points per signal before the measured ones: the baseline (min 30) plus guard


def _batch(signal: int, values: list[float], start: int) -> dict[str, object]:
    return {
        "signal": f"groundedness_{signal % 7}",
        "feature": f"feature-{signal}",
        "points": [
            {"at": (T0 + timedelta(minutes=start + i)).isoformat(), "value": round(v, 4)}
            for i, v in enumerate(values)
        ],
    }


async def _accept(deps: Deps, batches: int) -> list[float]:
    rng = random.Random(1)
    spent = []
    async with serve_asgi(create_app(deps)) as url, httpx.AsyncClient(timeout=60) as client:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        for b in range(batches):
            body = json.dumps(_batch(10**6 + b, [rng.gauss(0.8, 0.02) for _ in range(10_000)], 0))
            started = time.perf_counter()
            answer = await client.post(f"{url}/signals", content=body, headers=headers)
            spent.append(time.perf_counter() - started)
            assert answer.status_code == 202 and answer.json()["accepted"] == 10_000, answer.text
    return spent


async def _store(deps: Deps, signals: int, per_signal: int, start: int, seed: int) -> None:
    rng = random.Random(seed)
    for first in range(0, signals, 1000):
        batches = [
            SignalBatch.model_validate(
                _batch(s, [rng.gauss(0.8, 0.02) for _ in range(per_signal)], start)
            )
            for s in range(first, min(first + 1000, signals))
        ]
        async with session_scope(deps.sessions) as session:
            await signal_points.record(session=session, batches=batches, now=deps.clock())


async def _detect(deps: Deps) -> float:
    worker = Worker(deps.sessions, deps.clock, handlers(JobEnv(deps, None)))
    started = time.perf_counter()
    await worker.run_due()
    return time.perf_counter() - started


async def one(kind: str, signals: int, per_signal: int) -> None:
    async with database(kind) as url:
        engine = make_engine(url)
        settings = Settings(DATABASE_URL=url, INCIDENTBOT_WEBHOOK_TOKEN=TOKEN)
        deps = Deps(settings, Config(), engine, make_sessionmaker(engine))
        try:
            spent = await _accept(deps, 5)
            print(
                f"{kind}: POST /signals, 10,000-point batch: best {min(spent):.2f} s, "
                f"median {statistics.median(spent):.2f} s (5 batches)"
            )
            await _detect(deps)  # the accepted batches, not measured
            await _store(deps, signals, WARM, 0, seed=2)
            warm = await _detect(deps)
            await _store(deps, signals, per_signal, WARM, seed=3)
            took = await _detect(deps)
            async with deps.sessions() as session:
                left = await session.scalar(select(func.count()).select_from(SignalInbox))
                alerts = await session.scalar(
                    select(func.count()).where(Alert.source == "spc", Alert.status == "firing")
                )
            total = signals * per_signal
            print(
                f"{kind}: detector, {total:,} new points across {signals:,} signals: "
                f"{took:.2f} s = {total / took:,.0f} points/s; {left} left unseen "
                f"(learning the baselines, {signals * WARM:,} points: {warm:.2f} s); "
                f"{alerts} alarms (in-control data: false alarms, each opening an incident)"
            )
        finally:
            await engine.dispose()


async def main(kinds: list[str], signals: int, per_signal: int) -> None:
    for kind in kinds:
        await one(kind, signals, per_signal)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--signals", type=int, default=10_000)
    parser.add_argument("--per-signal", type=int, default=10)
    args = parser.parse_args()
    run(main(args.db.split(","), args.signals, args.per_signal))
