"""The demo's scenes, in order. Each capability adds its scenes here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sandbox.demo import comms, core, followup, playbook, signals

if TYPE_CHECKING:
    from bot.sandbox.demo.transcript import Scene

SCENES: list[Scene] = [
    playbook.change_recorded,
    core.alert_fires,
    core.roles_taken,
    playbook.step_done,
    playbook.flag_off,
    core.status_update,
    comms.comms_update,
    *followup.SCENES,  # evals, a validated resolve, action items, the postmortem
    *signals.SCENES,  # the next day: a silent model update, caught by the detector
]
