"""The demo's scenes, in order. Each capability adds its scenes here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sandbox import demo_core

if TYPE_CHECKING:
    from bot.sandbox.demo import Scene

SCENES: list[Scene] = [
    demo_core.alert_fires,
    demo_core.roles_taken,
    demo_core.status_update,
    demo_core.resolved,
]
