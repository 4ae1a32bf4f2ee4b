"""What the composition root builds once and hands to the HTTP app, Slack app and jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Config
from bot.db import utcnow
from bot.metrics import Metrics
from bot.settings import Settings


@dataclass(frozen=True)
class WebhookSecrets:
    pagerduty: tuple[str, ...] = ()
    grafana: str | None = None


@dataclass
class Deps:
    settings: Settings
    config: Config
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    webhook_secrets: WebhookSecrets = field(default_factory=WebhookSecrets)
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = utcnow
