"""`incidentbot check`: everything that must be valid before the bot may start."""

from __future__ import annotations

from collections.abc import Iterator

from bot.config import load_config
from bot.settings import Settings


def run(settings: Settings) -> Iterator[str]:
    """Validate config, playbooks and templates; yield one line per thing checked."""
    config = load_config(settings.config_path)
    where = settings.config_path or "defaults"
    yield f"config ok ({where}): {len(config.routing.rules)} routing rules"
