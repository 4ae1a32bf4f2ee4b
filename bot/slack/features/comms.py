"""Slack surface for the comms capability (filled in by its issue)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.jobs import Handler
from bot.slack.context import SlackContext
from bot.slack.subcommand import Subcommand

SUBCOMMANDS: list[Subcommand] = []
ON_CHANNEL_OPEN: tuple[str, ...] = ()


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register this feature's listeners."""


def work_handlers(ctx: SlackContext) -> dict[str, Handler]:
    """Due-work kinds this feature runs."""
    return {}
