"""Web pages: server time of each /ui page with 1,000 incidents and 5,000 action items.

Seeds a fresh SQLite file and a fresh PostgreSQL database, serves the app over real HTTP, signs
in with a login link and requests every page repeatedly. Prints, per page, the server time the
app reports (Server-Timing, from request in to response start) and the client-side latency.

    python -m benchmarks.ui_pages [--rounds 20] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import insert

from benchmarks.common import database, percentile
from bot.api.app import create_app
from bot.config import Config
from bot.db import make_engine, make_sessionmaker, session_scope
from bot.deps import Deps
from bot.flows import sign_in
from bot.models import ActionItem, Incident, IncidentRole, TimelineEvent
from bot.sandbox.stage import serve_asgi
from bot.settings import Settings
from bot.vocabulary import ActionKind, ActionState, IncidentType, Role, Severity, Status

INCIDENTS = 1000
ITEMS = 5000
TEAMS = [f"team-{n}" for n in range(8)]
OWNERS = [f"U{n:08d}" for n in range(40)]
PAGES = [
    "/ui/action-items",
    "/ui/action-items?state=any&per_page=200",
    "/ui/action-items?team=team-3&overdue=1",
    "/ui/action-items?state=any&sort=owner&desc=1&page=20",
    "/ui/incidents",
    "/ui/incidents?sort=severity&page=15",
    "/ui/incidents/500",
    "/ui/incidents/500/postmortem",
    "/ui/response-times?days=365",
]
SERVER_TIME = re.compile(r"app;dur=([0-9.]+)")


def incident_rows(now: datetime) -> list[dict[str, object]]:
    rng = random.Random(16)
    rows = []
    for n in range(1, INCIDENTS + 1):
        declared = now - timedelta(
            days=365 * (INCIDENTS - n) / INCIDENTS, minutes=rng.random() * 60
        )
        contained = declared + timedelta(minutes=rng.randint(5, 240))
        rows.append(
            {
                "id": n,
                "number": n,
                "title": f"Answers degraded on feature {n % 30}",
                "type": rng.choice(list(IncidentType)).value,
                "severity": rng.choice(list(Severity)).value,
                "status": Status.CLOSED.value if n < INCIDENTS - 20 else Status.INVESTIGATING.value,
                "feature": f"feature-{n % 30}",
                "description": "Faithfulness dropped after a prompt change.",
                "labels": {},
                "responders": [],
                "declared_by": "alertmanager",
                "declared_at": declared,
                "first_alert_at": declared - timedelta(minutes=rng.randint(0, 30)),
                "acknowledged_at": declared + timedelta(minutes=rng.randint(1, 20)),
                "contained_at": contained,
                "resolved_at": contained + timedelta(minutes=rng.randint(10, 600)),
                "updated_at": now,
            }
        )
    return rows


def item_rows(now: datetime) -> list[dict[str, object]]:
    rng = random.Random(61)
    states = [ActionState.OPEN, ActionState.IN_PROGRESS, ActionState.DONE, ActionState.WONT_DO]
    rows = []
    for n in range(1, ITEMS + 1):
        state = rng.choice(states)
        owner = rng.choice(OWNERS)
        rows.append(
            {
                "id": n,
                "incident_id": rng.randint(1, INCIDENTS),
                "text": f"Add an evaluation case for regression {n}",
                "owner_id": owner,
                "team": TEAMS[OWNERS.index(owner) % len(TEAMS)],
                "kind": rng.choice(list(ActionKind)).value,
                "state": state.value,
                "due_on": (now + timedelta(days=rng.randint(-60, 60))).date(),
                "reason": "covered elsewhere" if state is ActionState.WONT_DO else None,
                "created_by": "U_LEAD",
                "created_at": now - timedelta(days=90),
                "updated_at": now,
                "done_at": now if not state.is_active else None,
            }
        )
    return rows


async def seed(deps: Deps, now: datetime) -> None:
    """Bulk-insert the incidents (with commanders and a short timeline) and the items."""
    incidents = incident_rows(now)
    async with session_scope(deps.sessions) as session:
        await session.execute(insert(Incident), incidents)
        await session.execute(
            insert(IncidentRole),
            [
                {
                    "incident_id": i["id"],
                    "role": Role.COMMANDER.value,
                    "user_id": OWNERS[0],
                    "assigned_by": OWNERS[0],
                    "assigned_at": i["acknowledged_at"],
                }
                for i in incidents
            ],
        )
        await session.execute(
            insert(TimelineEvent),
            [
                {
                    "incident_id": i["id"],
                    "at": i["declared_at"],
                    "actor": "alertmanager",
                    "kind": "opened",
                    "text": f"Incident #{i['number']} opened",
                    "data": {},
                }
                for i in incidents
            ],
        )
        for start in range(0, ITEMS, 1000):
            await session.execute(insert(ActionItem), item_rows(now)[start : start + 1000])


async def measure(kind: str, rounds: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    async with database(kind) as url:
        settings = Settings(DATABASE_URL=url, INCIDENTBOT_SESSION_SECRET="bench-session-secret")
        engine = make_engine(url)
        deps = Deps(
            settings=settings, config=Config(), engine=engine, sessions=make_sessionmaker(engine)
        )
        await seed(deps, now)
        try:
            async with (
                serve_asgi(create_app(deps)) as base,
                httpx.AsyncClient(base_url=base) as http,
            ):
                deps.config = Config.model_validate({"web": {"public_url": base}})
                await sign_in_as(http, deps, OWNERS[1])
                print(f"{kind}: {INCIDENTS:,} incidents, {ITEMS:,} action items, {rounds} rounds")
                for page in PAGES:
                    await measure_page(http, page, rounds)
        finally:
            await engine.dispose()


async def sign_in_as(http: httpx.AsyncClient, deps: Deps, user: str) -> None:
    link = sign_in.login_link(
        settings=deps.settings, config=deps.config, user_id=user, now=deps.clock()
    )
    token = link.split("token=", 1)[1]
    response = await http.post("/ui/login/link", data={"token": token})
    assert response.status_code == 303, response.text


async def measure_page(http: httpx.AsyncClient, page: str, rounds: int) -> None:
    server, client = [], []
    await http.get(page)  # warm up caches and compiled templates
    for _ in range(rounds):
        started = time.perf_counter()
        response = await http.get(page)
        client.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (page, response.status_code)
        found = SERVER_TIME.search(response.headers["server-timing"])
        assert found
        server.append(float(found.group(1)))
    print(
        f"  {page:<55} server p50 {statistics.median(server):6.1f} ms, "
        f"p95 {percentile(server, 95):6.1f} ms, max {max(server):6.1f} ms; "
        f"client p50 {statistics.median(client):6.1f} ms; {len(response.content) // 1024} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    for kind in args.db.split(","):
        asyncio.run(measure(kind.strip(), args.rounds))


if __name__ == "__main__":
    main()
