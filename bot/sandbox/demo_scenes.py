"""The demo's scenes, in order. Each capability adds its scenes here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sandbox import demo_comms, demo_core, demo_followup, demo_playbook, demo_signals

if TYPE_CHECKING:
    from bot.sandbox.demo import Scene

SCENES: list[Scene] = [
    demo_playbook.change_recorded,
    demo_core.alert_fires,
    demo_core.roles_taken,
    demo_playbook.step_done,
    demo_playbook.flag_off,
    demo_core.status_update,
    demo_comms.comms_update,
    *demo_followup.SCENES,  # evals, a validated resolve, action items, the postmortem
    *demo_signals.SCENES,  # the next day: a silent model update, caught by the detector
]
