"""Composition root: Settings → engine → config → deps → ASGI app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot import checks, jobs, migrate
from bot.config import Config, load_config
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps, WebhookSecrets
from bot.errors import ConfigError
from bot.settings import Settings
from bot.slack import app as slack_app
from bot.slack import runtime as slack_runtime
from bot.web import create_app


def webhook_secrets(config: Config, environ: dict[str, str]) -> WebhookSecrets:
    """Read the alert signing secrets from the environment variables the config names."""
    pagerduty = environ.get(config.webhooks.pagerduty_secrets_env, "")
    return WebhookSecrets(
        pagerduty=tuple(s.strip() for s in pagerduty.split(",") if s.strip()),
        grafana=environ.get(config.webhooks.grafana_secret_env) or None,
    )


def build_deps(settings: Settings, environ: dict[str, str] | None = None) -> Deps:
    """Create the engine, config, playbooks, templates and clients the app needs, once.

    Every problem with config, playbooks, templates or providers is raised here, at boot.
    """
    env = dict(os.environ if environ is None else environ)
    config = load_config(settings.config_path)
    playbooks, templates = checks.load_content(config, env)
    engine = make_engine(settings.database_url)
    return Deps(
        settings=settings,
        config=config,
        engine=engine,
        sessions=make_sessionmaker(engine),
        webhook_secrets=webhook_secrets(config, env),
        playbooks=playbooks,
        templates=templates,
        environ=env,  # credentials are looked up by the env-var names the config gives
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


def slack_configured(settings: Settings) -> bool:
    """Whether Slack credentials are present."""
    return all(
        s is not None and s.get_secret_value()
        for s in (settings.slack_bot_token, settings.slack_signing_secret)
    )


def build_app(deps: Deps, *, tick_s: float = 2.0) -> FastAPI:
    """The ASGI app; its lifespan starts the scheduler (and Socket Mode) and stops them."""
    slack = slack_runtime.build(deps) if slack_configured(deps.settings) else None
    app = create_app(deps, slack_app.http_endpoint(slack.app) if slack else None)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = jobs.start_scheduler(slack.ctx.worker, every_s=tick_s) if slack else None
        if slack:
            await slack.start_socket_mode()
        yield
        if scheduler:
            scheduler.shutdown(wait=False)
        if slack:
            await slack.close()
        await deps.http.aclose()
        await deps.engine.dispose()

    app.router.lifespan_context = lifespan
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: each worker process builds its own app from the environment."""
    return build_app(build_deps(Settings()))
