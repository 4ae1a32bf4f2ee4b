"""Slack features beyond the incident core, each in its own module with the same shape.

A feature module exposes:
- `SUBCOMMANDS: list[Subcommand]` — its `/incident` subcommands,
- `register(app, ctx)` — its button, modal and event listeners.
Keeping each capability in one module keeps its listeners and texts together; the four
listener files of the core stay small.
"""

from __future__ import annotations

from types import ModuleType

from bot.slack.features import comms, evals, followup, paging, playbook, storm, web

MODULES: tuple[ModuleType, ...] = (playbook, comms, followup, paging, evals, storm, web)
