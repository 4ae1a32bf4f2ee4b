"""Pure decisions over a playbook and the ids of steps done or skipped in an incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.playbook.schemas import Phase, Playbook, Step


@dataclass(frozen=True, slots=True)
class Progress:
    """How many of a playbook's steps are done, skipped, and in total."""

    done: int
    skipped: int
    total: int

    @property
    def open(self) -> int:
        """Count the steps neither done nor skipped."""
        return self.total - self.done - self.skipped

    @property
    def complete(self) -> bool:
        """Whether every step is done or skipped."""
        return self.open == 0


def all_steps(playbook: Playbook) -> list[Step]:
    """Return every step of the playbook in phase order."""
    return [step for phase in playbook.phases for step in phase.steps]


def step_ids(playbook: Playbook) -> set[str]:
    """Return the ids of every step of the playbook."""
    return {step.id for step in all_steps(playbook)}


def find_step(playbook: Playbook, step_id: str) -> Step | None:
    """Return the step with this id, or None when the playbook has no such step."""
    return next((step for step in all_steps(playbook) if step.id == step_id), None)


def open_steps(phase: Phase, done: set[str], skipped: set[str]) -> list[Step]:
    """Return the phase's steps that are neither done nor skipped, in order."""
    return [step for step in phase.steps if step.id not in done and step.id not in skipped]


def current_phase(playbook: Playbook, done: set[str], skipped: set[str]) -> Phase | None:
    """Return the earliest phase that still has open steps, or None when all are closed."""
    return next((phase for phase in playbook.phases if open_steps(phase, done, skipped)), None)


def next_steps(playbook: Playbook, done: set[str], skipped: set[str]) -> list[Step]:
    """Return the open steps of the current phase, in order; empty when the playbook is finished."""
    phase = current_phase(playbook, done, skipped)
    return open_steps(phase, done, skipped) if phase else []


def progress(playbook: Playbook, done: set[str], skipped: set[str]) -> Progress:
    """Count this playbook's done and skipped steps; a step both done and skipped counts as done."""
    ids = step_ids(playbook)
    done_here = ids & done
    return Progress(done=len(done_here), skipped=len((ids & skipped) - done_here), total=len(ids))


def phase_due_at(phase: Phase, declared_at: datetime) -> datetime:
    """Return when the phase is due for an incident declared at `declared_at`."""
    return declared_at + timedelta(minutes=phase.due_after_min)


def overdue_phases(
    playbook: Playbook,
    declared_at: datetime,
    now: datetime,
    done: set[str],
    skipped: set[str],
) -> list[Phase]:
    """Return the phases past their due time that still have open steps, in order."""
    return [
        phase
        for phase in playbook.phases
        if now > phase_due_at(phase, declared_at) and open_steps(phase, done, skipped)
    ]


def merge_on_type_change(old: Playbook, new: Playbook, done: set[str]) -> set[str]:
    """Return the done step ids of `old` that also exist in `new`, by shared step id."""
    return done & step_ids(old) & step_ids(new)
