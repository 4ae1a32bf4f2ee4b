"""Alert intake over real HTTP: throughput, latency, nothing lost, one incident per key, memory.

Runs `incidentbot serve --role web` and `incidentbot worker` as separate processes on a fresh
database (the worker opens the incidents' channels in the local Slack stand-in meanwhile). The
load comes from its own process (benchmarks.load), 50 connections at a time, and prints:
- alerts/s, p50/p99/max for 10,000 alerts over 100 dedupe keys, then a 20,000-alert storm on one;
- that every accepted alert is stored and exactly one incident was opened per key;
- the resident memory of the web and worker processes afterwards;
- with DATABASE_POOL_SIZE=1 and 200 readers at once, that every request is answered (served, or
  503 with Retry-After after at most the 1 s pool wait; tests/test_resources.py forces the 503).

    python -m benchmarks.alert_ingest [--alerts 10000] [--storm 20000] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import tempfile

from sqlalchemy import func, select

from benchmarks.common import database, figures, rss_mb, run
from benchmarks.load import Outcome, Request, blast
from bot.db import make_engine
from bot.models import Alert, Incident
from bot.sandbox.slack.fake_slack import FakeSlack
from tests.support.processes import serve_process, worker_process

TOKEN = "bench-token"
SENDERS = 50
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def alert(i: int, key: str) -> dict[str, object]:
    return {
        "title": f"Groundedness low on {key}",
        "id": f"{key}-{i}",
        "dedupe_key": key,
        "labels": {"feature": key, "severity": "warning", "ai_incident_type": "hallucination"},
        "values": {"groundedness": 0.61},
    }


def requests_for(keys: list[str], n: int) -> list[Request]:
    """n alert deliveries cycling through the keys."""
    bodies = (alert(i, keys[i % len(keys)]) for i in range(n))
    return [Request("/alerts/generic", json.dumps(b).encode(), HEADERS) for b in bodies]


async def counts(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    async with engine.connect() as conn:
        alerts = (await conn.execute(select(func.count(Alert.id)))).scalar_one()
        incidents = (await conn.execute(select(func.count(Incident.id)))).scalar_one()
    await engine.dispose()
    return int(alerts), int(incidents)


def env_for(db_url: str, slack: FakeSlack, **more: str) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url,
        "INCIDENTBOT_WEBHOOK_TOKEN": TOKEN,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": "bench",
        "SLACK_API_URL": slack.api_url,
        **more,
    }


def report(kind: str, name: str, outcome: Outcome) -> int:
    print(f"[{kind}] " + figures(name, outcome.latencies_s, outcome.elapsed_s))
    if outcome.errors or set(outcome.statuses) != {202}:
        print(f"[{kind}]   answers {outcome.statuses}, transport errors {outcome.errors}")
    return outcome.statuses.get(202, 0)


async def intake(kind: str, n_alerts: int, n_storm: int) -> None:
    # 100 keys from one source: lift the storm cap, so each key opens its own incident here.
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
        cfg.write("storm: {max_new_incidents: 1000, channels_per_minute: 100}\n")
        cfg.flush()
        await _intake(kind, n_alerts, n_storm, cfg.name)


async def _intake(kind: str, n_alerts: int, n_storm: int, config_path: str) -> None:
    async with database(kind) as db_url, FakeSlack() as slack:
        env = env_for(db_url, slack, INCIDENTBOT_CONFIG=config_path)
        async with serve_process(env, role="web") as web, worker_process(env) as worker:
            url = web.url
            keys = [f"feature-{k}" for k in range(100)]
            distinct = await blast(url, requests_for(keys, n_alerts), SENDERS)
            accepted = report(kind, "distinct alerts (100 dedupe keys)", distinct)
            storm = await blast(url, requests_for(["storm"], n_storm), SENDERS)
            accepted += report(kind, "storm (one dedupe key)", storm)
            memory = f"web {rss_mb(web.proc.pid):.0f} MB, worker {rss_mb(worker.pid):.0f} MB"
            print(f"[{kind}] resident memory after: {memory}")
        stored, incidents = await counts(db_url)
    total = n_alerts + n_storm
    print(
        f"[{kind}] accepted {accepted}/{total}, stored {stored}: "
        f"{'nothing lost' if stored == accepted else 'LOST ' + str(accepted - stored)}; "
        f"incidents {incidents} (expected {len(keys) + 1}): "
        f"{'ok' if incidents == len(keys) + 1 else 'WRONG'}"
    )


async def pool_exhaustion(kind: str) -> None:
    """One connection for the whole process and 200 senders at once: nothing may hang."""
    async with database(kind) as db_url, FakeSlack() as slack:
        env = env_for(db_url, slack, DATABASE_POOL_SIZE="1")
        async with serve_process(env, role="web") as web:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            reads = [Request("/api/incidents?limit=100", b"", auth) for _ in range(4000)]
            outcome = await blast(web.url, reads, 200, method="GET")
    slowest = max(outcome.latencies_s)
    print(
        f"[{kind}] one connection, 200 readers at once: answers {outcome.statuses}, "
        f"transport errors {outcome.errors}; slowest answer {slowest * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--storm", type=int, default=20_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()

    async def everything() -> None:
        for kind in args.db.split(","):
            await intake(kind, args.alerts, args.storm)
            if kind == "postgresql":
                await pool_exhaustion(kind)

    run(everything())


if __name__ == "__main__":
    main()
