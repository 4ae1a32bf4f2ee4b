"""When communications are due: update cadence, the safety notice, the post-incident follow-up.

Pure rules; the database rows and reminders built from them live in `obligations.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.comms.rules import SAFETY_NOTICE_MINUTES, cadence_minutes
from bot.vocabulary import CommsKind, IncidentType, Obligation, Severity

FOLLOW_UP_WITHIN = timedelta(hours=48)
REMIND_AGAIN = timedelta(minutes=15)
MAX_REMINDERS = 3
# Legal and leadership must hear within the hour: warn while there is still time to write it.
LEGAL_WARNING = timedelta(minutes=15)
# The summary shows the time left to a deadline in these steps, refreshed at each one.
COUNTDOWN_STEP = timedelta(minutes=5)


FULFILS: dict[CommsKind, Obligation] = {
    CommsKind.ACKNOWLEDGEMENT: Obligation.UPDATE,
    CommsKind.STATUS_UPDATE: Obligation.UPDATE,
    CommsKind.LEGAL_LEADERSHIP: Obligation.LEGAL_LEADERSHIP,
    CommsKind.FOLLOW_UP: Obligation.FOLLOW_UP,
}
# Obligations that only make sense while the incident is still open.
WHILE_OPEN = frozenset({Obligation.UPDATE, Obligation.LEGAL_LEADERSHIP})

Overrides = Mapping[Severity, int] | Mapping[str, int] | None


def on_declaration(
    type_: IncidentType, severity: Severity, declared_at: datetime, overrides: Overrides = None
) -> dict[Obligation, datetime]:
    """Return what a newly declared incident owes: the first update, and the safety notice."""
    due = {Obligation.UPDATE: declared_at + _cadence(severity, overrides)}
    if type_ is IncidentType.SAFETY_VIOLATION:
        due[Obligation.LEGAL_LEADERSHIP] = declared_at + timedelta(minutes=SAFETY_NOTICE_MINUTES)
    return due


def next_update(
    severity: Severity,
    published_at: datetime,
    promised: datetime | None,
    overrides: Overrides = None,
) -> datetime:
    """Return when the next update is due after one was published: as promised, else by cadence."""
    if promised is not None and promised > published_at:
        return promised
    return published_at + _cadence(severity, overrides)


def follow_up_due(resolved_at: datetime) -> datetime:
    """Return when the post-incident follow-up is due."""
    return resolved_at + FOLLOW_UP_WITHIN


def first_reminder(obligation: Obligation, due_at: datetime) -> datetime:
    """Return when to first remind about an obligation: ahead of the legal deadline, else at it."""
    if obligation is Obligation.LEGAL_LEADERSHIP:
        return due_at - LEGAL_WARNING
    return due_at


def next_reminder(reminded_at: datetime, count: int) -> datetime | None:
    """Return when to remind again after `count` reminders, or None once enough were sent."""
    return reminded_at + REMIND_AGAIN if count < MAX_REMINDERS else None


def _cadence(severity: Severity, overrides: Overrides) -> timedelta:
    return timedelta(minutes=cadence_minutes(severity, overrides))


def countdown(due_at: datetime, now: datetime) -> list[datetime]:
    """Return the moments after `now`, up to `due_at`, when the time left steps down."""
    moments, at = [], due_at
    while at > now:
        moments.append(at)
        at -= COUNTDOWN_STEP
    return moments[::-1]
