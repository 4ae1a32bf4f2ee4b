"""Bounded resources: a full connection pool answers 503 at once; the access log hides queries."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.api.app import create_app
from bot.config import Config
from bot.db import make_engine, make_sessionmaker, warm_pool
from bot.deps import Deps
from bot.settings import Settings
from tests.conftest import BACKEND, WEBHOOK_TOKEN
from tests.support.server import RunningServer, run_server

ALERT = {"title": "Refund answers wrong", "dedupe_key": "refunds"}
HEADERS = {"Authorization": f"Bearer {WEBHOOK_TOKEN}", "Content-Type": "application/json"}


@pytest.fixture
async def one_connection(settings: Settings) -> AsyncIterator[Deps]:
    engine = make_engine(settings.database_url, pool_size=1)
    one = settings.model_copy(update={"database_pool_size": 1})
    yield Deps(settings=one, config=Config(), engine=engine, sessions=make_sessionmaker(engine))
    await engine.dispose()


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite has no connection pool to exhaust")
async def test_a_full_pool_answers_503_within_a_second_and_readyz_says_why(
    one_connection: Deps,
) -> None:
    async with run_server(create_app(one_connection)) as server:
        async with one_connection.engine.connect() as held:  # every connection is in use
            await held.exec_driver_sql("SELECT 1")
            started = time.monotonic()
            refused = await server.client.post("/alerts/generic", json=ALERT, headers=HEADERS)
            waited = time.monotonic() - started
            ready = await server.client.get("/readyz")
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        assert "no free connection" in refused.json()["error"] and waited < 2.5
        assert ready.status_code == 503 and "DATABASE_POOL_SIZE=1" in ready.json()["error"]
        accepted = await server.client.post("/alerts/generic", json=ALERT, headers=HEADERS)
        assert accepted.status_code == 202 and accepted.json()["stored"] == 1


async def test_the_access_log_leaves_out_query_strings(
    deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="incidentbot.access")
    async with run_server(create_app(deps, access_log=True)) as server:
        await server.client.post("/alerts/generic?token=s3cret", json=ALERT, headers=HEADERS)
        await server.client.get("/healthz?x=1")
    lines = [r.getMessage() for r in caplog.records if r.name == "incidentbot.access"]
    assert lines[0].startswith("POST /alerts/generic 202 ") and lines[1].startswith(
        "GET /healthz 200"
    )
    assert not any("s3cret" in line or "?" in line for line in lines)


async def test_no_access_log_unless_asked(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="incidentbot.access")
    await server.client.get("/healthz")
    assert not [r for r in caplog.records if r.name == "incidentbot.access"]


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite has no connection pool to warm")
async def test_the_pool_is_opened_at_start_up_and_reused_most_recent_first(
    settings: Settings,
) -> None:
    engine = make_engine(settings.database_url, pool_size=3)
    try:
        await warm_pool(engine, 3)
        assert engine.pool.checkedin() == 3  # type: ignore[attr-defined]
        async with engine.connect() as first:
            first_pid = await first.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as again:  # the one just used, its statements prepared
            assert await again.scalar(text("SELECT pg_backend_pid()")) == first_pid
    finally:
        await engine.dispose()
