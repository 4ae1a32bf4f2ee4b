"""What the composition root builds once and hands to the HTTP app, Slack app and jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Config
from bot.db import utcnow
from bot.metrics import Metrics
from bot.playbook.loader import builtin_playbooks, load_playbooks
from bot.playbook.schemas import Playbook
from bot.settings import Settings
from bot.templating import make_environment
from bot.vocabulary import IncidentType


@dataclass(frozen=True)
class WebhookSecrets:
    pagerduty: tuple[str, ...] = ()
    grafana: str | None = None
    langfuse: str | None = None


def _builtin_playbooks() -> dict[IncidentType, Playbook]:
    return load_playbooks(builtin_playbooks())


@dataclass
class Deps:
    settings: Settings
    config: Config
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    webhook_secrets: WebhookSecrets = field(default_factory=WebhookSecrets)
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = utcnow
    playbooks: dict[IncidentType, Playbook] = field(default_factory=_builtin_playbooks)
    templates: SandboxedEnvironment = field(default_factory=make_environment)
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=15))
    environ: dict[str, str] = field(default_factory=dict)  # secrets named by the config
    # Called after a request commits work for the worker (set when the worker exists).
    wake_worker: Callable[[], None] = lambda: None
    # A Slack user's name by id (set when the Slack side exists), for documents that name people.
    name_of: Callable[[str], Awaitable[str | None]] | None = None
