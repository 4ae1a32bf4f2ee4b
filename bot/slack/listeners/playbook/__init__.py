"""Slack surface for playbooks, containment and "what changed".

`steps` posts the checklist by phase and handles Done / Skip / Reopen and phase nudges;
`containment` runs provider actions behind a confirm dialog; `changes` shows the change ledger.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.context import SlackContext
from bot.slack.listeners.playbook import changes, containment, steps
from bot.slack.subcommand import Subcommand

SUBCOMMANDS: list[Subcommand] = [*changes.SUBCOMMANDS]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register this stage's listeners."""
    steps.register(app, ctx)
    containment.register(app, ctx)
