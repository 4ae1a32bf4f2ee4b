"""Slack surface for fix validation, postmortems and action-item follow-up.

`commands` has `/incident action`, `actions`, `postmortem` and `stats` (resolve, with its fix
validation, stays with the incident core); `items` the item buttons, the won't-do modal and the
App Home tab (their queued work is in `bot.jobs.handlers.followup`).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.context import SlackContext
from bot.slack.listeners.followup import commands, items
from bot.slack.subcommand import Subcommand

SUBCOMMANDS: list[Subcommand] = list(commands.SUBCOMMANDS)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register this stage's listeners."""
    items.register(app, ctx)
