"""Slack surface for fix validation, postmortems and action-item follow-up (issue 6).

`commands` has `/incident action`, `actions`, `postmortem` and `stats` (resolve, with its fix
validation, stays with the incident core); `listeners` the item buttons, the won't-do modal and the
App Home tab; `work` the due work: eval notices, item messages, reminders, overdue notices, digest.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.jobs import Handler
from bot.slack.context import SlackContext
from bot.slack.features.followup import commands, listeners, work
from bot.slack.subcommand import Subcommand

SUBCOMMANDS: list[Subcommand] = list(commands.SUBCOMMANDS)
ON_CHANNEL_OPEN: tuple[str, ...] = ()


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register this feature's listeners."""
    listeners.register(app, ctx)


def work_handlers(ctx: SlackContext) -> dict[str, Handler]:
    """Due-work kinds this feature runs."""
    return work.work_handlers(ctx)
