"""Alert intake over real HTTP: throughput, latency, nothing lost, one incident per storm.

Starts `incidentbot serve` (two worker processes, as two stateless replicas) against a fresh
SQLite file and a fresh PostgreSQL database, sends alerts from 50 concurrent senders, and prints:
alerts/s accepted, p50/p99 latency; then checks every accepted alert is stored, and that a storm
of alerts sharing one dedupe key opened exactly one incident.

    python -m benchmarks.alert_ingest [--alerts 10000] [--storm 20000] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from sqlalchemy import func, select

from benchmarks.common import database, figures
from bot.db import make_engine
from bot.models import Alert, Incident
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.processes import serve_process

TOKEN = "bench-token"
SENDERS = 50


def alert(i: int, key: str) -> dict[str, object]:
    return {
        "title": f"Groundedness low on {key}",
        "id": f"{key}-{i}",
        "dedupe_key": key,
        "labels": {"feature": key, "severity": "warning", "ai_incident_type": "hallucination"},
        "values": {"groundedness": 0.61},
    }


async def send_all(url: str, bodies: list[dict[str, object]]) -> tuple[list[float], float, int]:
    """Post every body with SENDERS concurrent senders; return latencies, elapsed, accepted.

    A request that fails in transport counts as not accepted (and is reported), not as a crash.
    """
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    accepted = 0
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS)

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        while not queue.empty():
            body = queue.get_nowait()
            started = time.perf_counter()
            try:
                response = await client.post("/alerts/generic", json=body, headers=headers)
            except httpx.TransportError as exc:
                print(f"transport error: {exc!r}")
                continue
            latencies.append(time.perf_counter() - started)
            accepted += response.status_code == 202

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(SENDERS)))
        return latencies, time.perf_counter() - started, accepted


async def counts(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    async with engine.connect() as conn:
        alerts = (await conn.execute(select(func.count(Alert.id)))).scalar_one()
        incidents = (await conn.execute(select(func.count(Incident.id)))).scalar_one()
    await engine.dispose()
    return int(alerts), int(incidents)


async def run(kind: str, n_alerts: int, n_storm: int, workers: int) -> None:
    async with database(kind) as db_url, FakeSlack() as slack:
        env = {
            "DATABASE_URL": db_url,
            "INCIDENTBOT_WEBHOOK_TOKEN": TOKEN,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": "bench",
            "SLACK_API_URL": slack.api_url,
        }
        async with serve_process(env, workers=workers) as url:
            keys = [f"feature-{k}" for k in range(100)]
            bodies = [alert(i, keys[i % len(keys)]) for i in range(n_alerts)]
            latencies, elapsed, accepted = await send_all(url, bodies)
            print(f"[{kind}] " + figures("distinct alerts (100 dedupe keys)", latencies, elapsed))
            storm = [alert(i, "storm") for i in range(n_storm)]
            s_latencies, s_elapsed, s_accepted = await send_all(url, storm)
            print(f"[{kind}] " + figures("storm (one dedupe key)", s_latencies, s_elapsed))
        stored, incidents = await counts(db_url)
    total = accepted + s_accepted
    print(
        f"[{kind}] accepted {total}/{n_alerts + n_storm}, stored {stored}: "
        f"{'nothing lost' if stored == total else 'LOST ' + str(total - stored)}; "
        f"incidents {incidents} (expected {len(keys) + 1}): "
        f"{'ok' if incidents == len(keys) + 1 else 'WRONG'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--storm", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    for kind in args.db.split(","):
        asyncio.run(run(kind, args.alerts, args.storm, args.workers))


if __name__ == "__main__":
    main()
