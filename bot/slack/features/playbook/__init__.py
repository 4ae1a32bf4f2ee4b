"""Slack surface for playbooks, containment and "what changed" (issue 4).

`steps` posts the checklist by phase and handles Done / Skip / Reopen and phase nudges;
`containment` runs provider actions behind a confirm dialog; `changes` shows the change ledger.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.jobs import Handler
from bot.slack.context import SlackContext
from bot.slack.features.playbook import changes, containment, steps
from bot.slack.subcommand import Subcommand

SUBCOMMANDS: list[Subcommand] = [*changes.SUBCOMMANDS]
ON_CHANNEL_OPEN: tuple[str, ...] = (*steps.ON_CHANNEL_OPEN, *changes.ON_CHANNEL_OPEN)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register this feature's listeners."""
    steps.register(app, ctx)
    containment.register(app, ctx)


def work_handlers(ctx: SlackContext) -> dict[str, Handler]:
    """Due-work kinds this feature runs."""
    return {
        **steps.work_handlers(ctx),
        **containment.work_handlers(ctx),
        **changes.work_handlers(ctx),
    }
