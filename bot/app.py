"""Composition root: Settings → engine → config → deps → ASGI app and the worker."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum

from fastapi import FastAPI

from bot import checks, migrate
from bot.api.app import create_app
from bot.config import Config, load_config
from bot.db import make_engine, make_sessionmaker, warm_pool
from bot.deps import Deps, WebhookSecrets
from bot.errors import ConfigError
from bot.jobs import handlers as job_handlers
from bot.jobs.worker import Worker
from bot.settings import Settings
from bot.slack import runtime as slack_runtime
from bot.slack.directory import SlackPeople
from bot.slack.runtime import SlackRuntime

# On SIGTERM, running work gets this long to finish before it is given back to other workers.
STOP_GRACE_S = 1.0


class ProcessRole(StrEnum):
    ALL = "all"  # serve HTTP and run queued work
    WEB = "web"  # serve HTTP only: ack and queue; `incidentbot worker` runs the work


def webhook_secrets(config: Config, environ: dict[str, str]) -> WebhookSecrets:
    """Read the alert signing secrets from the environment variables the config names."""
    pagerduty = environ.get(config.webhooks.pagerduty_secrets_env, "")
    return WebhookSecrets(
        pagerduty=tuple(s.strip() for s in pagerduty.split(",") if s.strip()),
        grafana=environ.get(config.webhooks.grafana_secret_env) or None,
        langfuse=environ.get(config.webhooks.langfuse_secret_env) or None,
    )


def build_deps(settings: Settings, environ: dict[str, str] | None = None) -> Deps:
    """Create the engine, config, playbooks, templates and clients the app needs, once.

    Every problem with config, playbooks, templates or providers is raised here, at boot.
    """
    env = dict(os.environ if environ is None else environ)
    config = load_config(settings.config_path)
    playbooks, templates = checks.load_content(config, env)
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
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


def build_worker(deps: Deps, slack: SlackRuntime | None) -> Worker:
    """The worker with every handler this process can run; requests wake it after queuing."""
    env = job_handlers.JobEnv(
        deps=deps,
        slack=slack.ctx.gateway if slack else None,
        run_slack_request=slack.run_queued if slack else None,
    )
    worker = Worker(deps.sessions, lambda: deps.clock(), job_handlers.handlers(env))
    deps.wake_worker = worker.wake
    return worker


def listen_url(settings: Settings) -> str | None:
    """Where the worker LISTENs for queued work: PostgreSQL only (SQLite wakes in-process)."""
    return settings.database_url if settings.database_url.startswith("postgresql") else None


def configure_logging(*, access_log: bool) -> None:
    """Warnings and errors to standard error; the access log too when asked for."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if access_log:
        logging.getLogger("incidentbot.access").setLevel(logging.INFO)


def build_app(
    deps: Deps, *, role: ProcessRole = ProcessRole.ALL, access_log: bool = False
) -> FastAPI:
    """The ASGI app; its lifespan starts the worker (and Socket Mode) and stops them."""
    configured = slack_configured(deps.settings)
    runtime = slack_runtime.build(deps, slack_runtime.gateway(deps)) if configured else None
    worker = build_worker(deps, runtime) if role is ProcessRole.ALL else None
    app = create_app(
        deps,
        runtime.endpoint() if runtime else None,
        SlackPeople(runtime.ctx.gateway.client) if runtime else None,
        access_log=access_log,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await warm_pool(deps.engine, deps.settings.database_pool_size)
        if worker is not None:
            await worker.start(listen_url=listen_url(deps.settings))
        if runtime is not None:
            await runtime.start()
        settle_memory()
        yield
        if runtime is not None:
            await runtime.close()
        if worker is not None:
            await worker.stop(grace_s=STOP_GRACE_S)
        await deps.http.aclose()
        await deps.engine.dispose()

    app.router.lifespan_context = lifespan
    return app


def settle_memory() -> None:
    """Keep the objects built at start-up out of the garbage collector's full passes.

    Everything alive now (modules, compiled SQL, templates, playbooks) lives as long as the
    process; without this, each full collection walks it all and stalls requests for tens of ms.
    """
    gc.collect()
    gc.freeze()


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: each worker process builds its own app from the environment."""
    role = ProcessRole(os.environ.get("INCIDENTBOT_ROLE", ProcessRole.ALL.value))
    access_log = os.environ.get("INCIDENTBOT_ACCESS_LOG", "1") == "1"
    configure_logging(access_log=access_log)
    return build_app(build_deps(Settings()), role=role, access_log=access_log)


async def run_worker(settings: Settings) -> None:
    """Run queued work until SIGTERM or SIGINT, then give back what is unfinished and exit."""
    deps = build_deps(settings)
    token = settings.slack_bot_token
    has_slack = token is not None and bool(token.get_secret_value())
    runtime = slack_runtime.build(deps, slack_runtime.gateway(deps)) if has_slack else None
    worker = build_worker(deps, runtime)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await warm_pool(deps.engine, settings.database_pool_size)
        if runtime is not None:
            await runtime.app.authorize_now()  # queued Slack requests are dispatched by bolt too
        await worker.start(listen_url=listen_url(settings))
        settle_memory()
        await stop.wait()
    finally:
        await worker.stop(grace_s=STOP_GRACE_S)
        await deps.http.aclose()
        await deps.engine.dispose()
