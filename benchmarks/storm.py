"""Alert storms at intake: the cost of a storm and of its repeats, in time and SQL statements.

Stores batches straight through the intake flow (the same call the HTTP route's group commit
makes) on a fresh database, on a clock the benchmark moves, and prints per database:
- one batch of 100 distinct alerts: incidents opened (the cap), alerts stormed, time, statements;
- 1,000 distinct alerts over a minute (20 batches of 50, 3 s apart): incidents, time per batch;
- 20 batches re-firing the stormed alerts: time and statements per batch, which must not grow
  with the number of stormed groups (they are found set-based, like open incidents).

    python -m benchmarks.storm [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select

from benchmarks.common import database, run
from bot.alerts import sources
from bot.alerts.schemas import Source
from bot.config import Config
from bot.db import make_engine, make_sessionmaker, session_scope
from bot.flows import intake
from bot.models import Alert, Incident, StormGroup


def alerts(first: int, count: int, fired: int = 0) -> dict[str, Any]:
    return {
        "alerts": [
            {
                "title": f"Checker {n} failing",
                "dedupe_key": f"checker-{n}",
                "labels": {"severity": "P2", "feature": f"feature-{n % 9}"},
                "values": {"fired": fired},
            }
            for n in range(first, first + count)
        ]
    }


class Statements:
    def __init__(self, engine: Any) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


async def one_db(kind: str) -> None:
    async with database(kind) as url:
        engine = make_engine(url)
        sessions, config, counted = make_sessionmaker(engine), Config(), Statements(engine)
        now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

        async def ingest(payload: dict[str, Any]) -> tuple[float, int]:
            body = json.dumps(payload)
            delivery = intake.Delivery(Source.GENERIC, body, sources.parse(Source.GENERIC, payload))
            before, started = counted.count, time.perf_counter()
            async with session_scope(sessions) as session:
                await intake.ingest(session=session, config=config, deliveries=[delivery], now=now)
            return time.perf_counter() - started, counted.count - before

        async def tally() -> str:
            async with session_scope(sessions) as session:
                own = await session.scalar(
                    select(func.count()).where(Incident.alert_source == "generic")
                )
                groups = await session.scalar(select(func.count()).select_from(StormGroup))
                stored = await session.scalar(select(func.count()).select_from(Alert))
            return f"{own} incidents opened, {groups} groups stormed, {stored} alerts stored"

        took, statements = await ingest(alerts(0, 100))
        print(
            f"{kind}: 100 distinct alerts in one batch: {took * 1000:.0f} ms, "
            f"{statements} statements; {await tally()}"
        )
        times = []
        for batch in range(20):
            now += timedelta(seconds=3)
            times.append((await ingest(alerts(100 + batch * 50, 50)))[0])
        print(
            f"{kind}: +1,000 distinct alerts over a minute (20 x 50): "
            f"{sum(times) / len(times) * 1000:.0f} ms per batch; {await tally()}"
        )
        repeat_times, repeat_statements = [], []
        for round_ in range(20):
            now += timedelta(seconds=3)
            took, statements = await ingest(alerts(10 + round_ * 50, 50, fired=round_ + 1))
            repeat_times.append(took)
            repeat_statements.append(statements)
        print(
            f"{kind}: 20 batches of 50 stormed alerts firing again: "
            f"{sum(repeat_times) / 20 * 1000:.0f} ms per batch, statements per batch "
            f"min {min(repeat_statements)} max {max(repeat_statements)}; {await tally()}"
        )
        await engine.dispose()


async def main(dbs: list[str]) -> None:
    for kind in dbs:
        await one_db(kind)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    run(main(parser.parse_args().db.split(",")))
