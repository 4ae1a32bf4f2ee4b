"""Fixtures: a fresh migrated database per test (SQLite or PostgreSQL), and a real HTTP server.

Choose the database with TEST_DATABASE=sqlite (default) or TEST_DATABASE=postgresql; PostgreSQL
is reached at TEST_PG_DSN (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Config
from bot.deps import Deps
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.sandbox.stage import Stage, serve
from bot.settings import Settings
from tests.support import dbs
from tests.support.server import RunningServer, run_server

WEBHOOK_TOKEN = "test-webhook-token"
BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
TEMPLATE_PREFIX, TEST_PREFIX = "ib_tmpl_", "ib_t_"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per session; each test copies it."""
    if BACKEND == "postgresql":
        dbs.drop_orphans(TEMPLATE_PREFIX, TEST_PREFIX)
        name = dbs.pg_name(TEMPLATE_PREFIX)
        dbs.pg_create(name)
        dbs.migrate(dbs.pg_url(name))
        yield name
        dbs.pg_drop(name)
    else:
        path = tmp_path_factory.mktemp("tmpl") / "template.db"
        dbs.migrate(f"sqlite+aiosqlite:///{path}")
        yield str(path)


@pytest.fixture
def db_url(template_db: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest migration, dropped after the test."""
    if BACKEND == "postgresql":
        name = dbs.pg_name(TEST_PREFIX)
        dbs.pg_create(name, template=template_db)
        yield dbs.pg_url(name)
        dbs.pg_drop(name)
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(template_db, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings for a test, built directly."""
    return Settings(
        DATABASE_URL=db_url,
        INCIDENTBOT_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="test-signing-secret",
    )


@pytest.fixture
def config() -> Config:
    """Default config; tests that need routing rules build their own."""
    return Config()


@pytest.fixture
async def deps(settings: Settings, config: Config) -> AsyncIterator[Deps]:
    """Deps over the test database."""
    from bot.db import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    yield Deps(settings=settings, config=config, engine=engine, sessions=make_sessionmaker(engine))
    await engine.dispose()


@pytest.fixture
async def server(deps: Deps) -> AsyncIterator[RunningServer]:
    """The real app served over HTTP on a free local port."""
    from bot.api.app import create_app

    async with run_server(create_app(deps)) as running:
        yield running


@pytest.fixture
def auth_headers() -> dict[str, str]:
    """Headers a configured monitor sends."""
    return {"Authorization": f"Bearer {WEBHOOK_TOKEN}", "Content-Type": "application/json"}


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The local Slack Web API stand-in."""
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def stage(db_url: str, config: Config, fake_slack: FakeSlack) -> AsyncIterator[Stage]:
    """The bot served over HTTP with Slack mounted, talking to the fake Slack."""
    from bot.db import make_engine, make_sessionmaker

    settings = Settings(
        DATABASE_URL=db_url,
        INCIDENTBOT_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET="test-signing-secret",
        SLACK_API_URL=fake_slack.api_url,
    )
    engine = make_engine(db_url)
    deps = Deps(settings=settings, config=config, engine=engine, sessions=make_sessionmaker(engine))
    async with serve(deps, fake_slack) as running:
        yield running
    await engine.dispose()
