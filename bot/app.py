"""Composition root: Settings → engine → config → deps → ASGI app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot import migrate
from bot.config import Config, load_config
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps, WebhookSecrets
from bot.errors import ConfigError
from bot.settings import Settings
from bot.web import create_app


def webhook_secrets(config: Config, environ: dict[str, str]) -> WebhookSecrets:
    """Read the alert signing secrets from the environment variables the config names."""
    pagerduty = environ.get(config.webhooks.pagerduty_secrets_env, "")
    return WebhookSecrets(
        pagerduty=tuple(s.strip() for s in pagerduty.split(",") if s.strip()),
        grafana=environ.get(config.webhooks.grafana_secret_env) or None,
    )


def build_deps(settings: Settings, environ: dict[str, str] | None = None) -> Deps:
    """Create the engine, config and everything else the app needs, once."""
    config = load_config(settings.config_path)
    engine = make_engine(settings.database_url)
    return Deps(
        settings=settings,
        config=config,
        engine=engine,
        sessions=make_sessionmaker(engine),
        webhook_secrets=webhook_secrets(config, dict(os.environ if environ is None else environ)),
    )


async def ensure_schema(settings: Settings, *, upgrade: bool) -> None:
    """Upgrade the database to head, or refuse clearly when told not to upgrade."""
    if upgrade:
        await migrate.upgrade_async(settings.database_url)
        return
    current, head = await migrate.current_revision(settings.database_url), migrate.head_revision()
    if current != head:
        raise ConfigError(
            f"database is at revision {current or 'none'}, the code needs {head}; "
            "run `incidentbot db upgrade`"
        )


def build_app(deps: Deps) -> FastAPI:
    """The ASGI app with its lifespan (closes the engine on shutdown)."""
    app = create_app(deps)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await deps.engine.dispose()

    app.router.lifespan_context = lifespan
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: each worker process builds its own app from the environment."""
    return build_app(build_deps(Settings()))
