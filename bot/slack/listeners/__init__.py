"""Slack's listeners, one module (or package) per stage, each with the same shape.

A stage's module exposes:
- `SUBCOMMANDS: list[Subcommand]` — its `/incident` subcommands (`bot.slack.incident_command`
  dispatches to them),
- `register(app, ctx)` — its button, modal and event listeners.
Keeping each stage in one place keeps its listeners and texts together.
"""

from __future__ import annotations

from types import ModuleType

from bot.slack.listeners import comms, evals, followup, incident, paging, playbook, storm, web

# In this order: bolt runs the first listener that matches, and `/incident help` lists them so.
MODULES: tuple[ModuleType, ...] = (incident, playbook, comms, followup, paging, evals, storm, web)
