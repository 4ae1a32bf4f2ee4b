"""Slack surface of the incident core: its subcommands, the role buttons, the modals, pins.

`commands` has `/incident declare`, `status`, `list`, `role`, `severity`, `type`, `update`,
`note`, `resolve` and `reopen`; `actions` the Take-role buttons; `views` the declare and
update modals; `events` the 📌 reactions and pins that put a message on the timeline.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.context import SlackContext
from bot.slack.listeners.incident import actions, commands, events, views
from bot.slack.subcommand import Subcommand

SUBCOMMANDS: list[Subcommand] = list(commands.SUBCOMMANDS)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register this stage's buttons, modal submissions and events."""
    actions.register(app, ctx)
    views.register(app, ctx)
    events.register(app, ctx)
