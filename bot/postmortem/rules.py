"""Pure action-item rules: due dates, reminders, overdue, allowed moves, what blocks publishing.

The action-item vocabulary lives in `schemas` (the postmortem facts use it too) and is re-exported.
Durations are in `durations`, the weekly digest in `digest`; the `/incident` arguments are parsed
in `bot/slack/followup_args.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import BadInput, InvalidTransition
from bot.postmortem.schemas import ActionItemFacts as ActionItemFacts
from bot.vocabulary import ActionKind as ActionKind
from bot.vocabulary import ActionState as ActionState
from bot.vocabulary import Severity

DEFAULT_DUE_DAYS: Mapping[str, int] = {Severity.P1: 7, Severity.P2: 14, Severity.P3: 30}
REMINDER_DAYS_BEFORE = 2
REMINDER_TIME = time(9, 0)
KIND_HINTS: Mapping[ActionKind, str] = {
    ActionKind.EVAL_CASE: "an evaluation case that would have caught this output",
    ActionKind.DETECTION: "a monitor or alert that closes the detection gap",
}
_ALLOWED_MOVES: Mapping[ActionState, frozenset[ActionState]] = {
    ActionState.OPEN: frozenset({ActionState.IN_PROGRESS, ActionState.DONE, ActionState.WONT_DO}),
    ActionState.IN_PROGRESS: frozenset({ActionState.OPEN, ActionState.DONE, ActionState.WONT_DO}),
    ActionState.DONE: frozenset({ActionState.OPEN}),
    ActionState.WONT_DO: frozenset({ActionState.OPEN}),
}


def default_due(severity: Severity, created: date, policy: Mapping[str, int] | None = None) -> date:
    """Return the due date for a new action item: P1 7 days, P2 14, P3 30 unless overridden."""
    days = {**DEFAULT_DUE_DAYS, **(policy or {})}[severity]
    return created + timedelta(days=days)


def reminder_at(due: date, tz: str | tzinfo) -> datetime:
    """Return when to remind the owner: 09:00 their time, two days before the due date, in UTC."""
    return local_moment(due - timedelta(days=REMINDER_DAYS_BEFORE), REMINDER_TIME, zone(tz))


def overdue_at(due: date, tz: str | tzinfo) -> datetime:
    """Return when an item becomes overdue for its owner: 09:00 their time the day after due."""
    return local_moment(due + timedelta(days=1), REMINDER_TIME, zone(tz))


def is_overdue(state: ActionState, due: date, today: date) -> bool:
    """Whether an item still needing work is past its due date."""
    return state.is_active and due < today


def publish_blockers(
    items: Sequence[ActionItemFacts],
    required_kinds: Sequence[ActionKind] = (ActionKind.EVAL_CASE, ActionKind.DETECTION),
) -> list[str]:
    """List what must be added before the postmortem can be published; empty when nothing."""
    present = {item.kind for item in items if item.state is not ActionState.WONT_DO}
    return [_blocker(kind) for kind in required_kinds if kind not in present]


def _blocker(kind: ActionKind) -> str:
    """Say which action item kind is missing."""
    hint = KIND_HINTS.get(kind)
    return f"add at least one {kind} action item" + (f" ({hint})" if hint else "")


def transition_action(
    state: ActionState, to: ActionState, reason: str | None = None
) -> ActionState:
    """Return the new state; won't-do needs a reason and finished items only reopen explicitly."""
    if to is state:
        raise InvalidTransition(f"the action item is already {_label(state)}")
    if to is ActionState.WONT_DO and not (reason and reason.strip()):
        raise BadInput("say why this action item won't be done", field="reason")
    if to not in _ALLOWED_MOVES[state]:
        raise InvalidTransition(
            f"cannot move an action item from {_label(state)} to {_label(to)}; reopen it first "
            "(its *Reopen* button, in the channel or the bot's Home tab)"
        )
    return to


def _label(state: ActionState) -> str:
    """Return the state as people say it."""
    return "won't do" if state is ActionState.WONT_DO else state.value.replace("_", " ")


# --- local time ------------------------------------------------------------------------------


def local_moment(day: date, at: time, zone: tzinfo) -> datetime:
    """Return wall-clock `at` on `day` in `zone` as aware UTC.

    A time skipped by a DST jump resolves with the pre-jump offset (it lands just after the jump);
    a repeated time resolves to its first occurrence.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def zone(tz: str | tzinfo) -> tzinfo:
    """Return a time zone from an IANA name or pass a tzinfo through."""
    if not isinstance(tz, str):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput(f"unknown time zone {tz!r}", field="tz") from exc
