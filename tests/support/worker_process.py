"""A bot replica in its own OS process: the full Slack runtime's Worker ticking on a database.

Started with multiprocessing (spawn) by the two-process test; it talks to the FakeSlack served in
the test process, ticks until no due work is left (or a deadline passes), then exits.
"""

from __future__ import annotations

import asyncio
import time
from multiprocessing.synchronize import Event

from sqlalchemy import select

from bot.app import build_worker
from bot.config import Config
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps
from bot.models import DueWork
from bot.settings import Settings
from bot.slack import runtime as slack_runtime


def run(db_url: str, api_url: str, token: str, go: Event, name: str, deadline_s: float) -> None:
    """Process entry point."""
    asyncio.run(_run(db_url, api_url, token, go, name, deadline_s))


async def _run(
    db_url: str, api_url: str, token: str, go: Event, name: str, deadline_s: float
) -> None:
    settings = Settings(
        DATABASE_URL=db_url,
        SLACK_BOT_TOKEN=token,
        SLACK_SIGNING_SECRET="replica-secret",
        SLACK_API_URL=api_url,
        INCIDENTBOT_WEBHOOK_TOKEN="replica-token",
    )
    engine = make_engine(db_url)
    deps = Deps(
        settings=settings, config=Config(), engine=engine, sessions=make_sessionmaker(engine)
    )
    worker = build_worker(
        deps, slack_runtime.build(deps, slack_runtime.gateway(deps, min_post_interval_s=0))
    )
    worker.worker_id = name
    go.wait(timeout=30)
    deadline = time.monotonic() + deadline_s
    idle = 0
    while idle < 3 and time.monotonic() < deadline:
        await worker.tick()
        idle = idle + 1 if not await _left(deps) else 0
        await asyncio.sleep(0.01)
    await worker.drain()
    await engine.dispose()


async def _left(deps: Deps) -> bool:
    async with deps.sessions() as session:
        stmt = select(DueWork.id).where(DueWork.done_at.is_(None)).limit(1)
        return (await session.scalar(stmt)) is not None
