"""Pure postmortem rules: durations, action-item policy and follow-up timing.

The action-item vocabulary lives in `schemas` (the postmortem facts use it too) and is re-exported.
Parsing of the `/incident` arguments lives in `commands`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import BadInput, InvalidTransition
from bot.postmortem.schemas import ActionItemFacts as ActionItemFacts
from bot.vocabulary import ActionKind as ActionKind
from bot.vocabulary import ActionState as ActionState
from bot.vocabulary import IncidentType, Severity

# --- durations ---------------------------------------------------------------------------------

MEASURES = ("detect", "acknowledge", "contain", "resolve")


@dataclass(frozen=True)
class Durations:
    """Time to detect, acknowledge, contain and resolve; None where a moment is unknown."""

    detect: timedelta | None
    acknowledge: timedelta | None
    contain: timedelta | None
    resolve: timedelta | None


@dataclass(frozen=True)
class MeasureStats:
    count: int
    median: timedelta
    p90: timedelta


@dataclass(frozen=True)
class DurationStats:
    """Per-measure statistics for one (type, severity) group of incidents."""

    count: int
    detect: MeasureStats | None
    acknowledge: MeasureStats | None
    contain: MeasureStats | None
    resolve: MeasureStats | None


def durations(
    first_signal_at: datetime | None,
    declared_at: datetime | None,
    acknowledged_at: datetime | None,
    contained_at: datetime | None,
    resolved_at: datetime | None,
) -> Durations:
    """Measure the incident's response intervals, all but detection counted from declaration."""
    return Durations(
        detect=_between(first_signal_at, declared_at),
        acknowledge=_between(declared_at, acknowledged_at),
        contain=_between(declared_at, contained_at),
        resolve=_between(declared_at, resolved_at),
    )


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    """Return end - start, never negative (a signal can arrive after a person declared)."""
    if start is None or end is None:
        return None
    return max(end - start, timedelta(0))


def summarize_durations(
    rows: Iterable[tuple[IncidentType, Severity, Durations]],
) -> dict[tuple[IncidentType, Severity], DurationStats]:
    """Return count, median and p90 of each measure per (type, severity), in sorted key order."""
    groups: defaultdict[tuple[IncidentType, Severity], list[Durations]] = defaultdict(list)
    for incident_type, severity, measured in rows:
        groups[(incident_type, severity)].append(measured)
    return {key: _stats(groups[key]) for key in sorted(groups)}


def _stats(group: Sequence[Durations]) -> DurationStats:
    """Summarize one group's durations."""
    per_measure = {m: summarize_measure([getattr(d, m) for d in group]) for m in MEASURES}
    return DurationStats(count=len(group), **per_measure)


def summarize_measure(values: Sequence[timedelta | None]) -> MeasureStats | None:
    """Return count, median and p90 of the known values, or None if there are none."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    return MeasureStats(len(known), _quantile(known, 0.5), _quantile(known, 0.9))


def _quantile(ordered: Sequence[timedelta], q: float) -> timedelta:
    """Interpolate linearly between closest ranks (the common 'linear' quantile)."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- action items ------------------------------------------------------------------------------

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
    return _local_moment(due - timedelta(days=REMINDER_DAYS_BEFORE), REMINDER_TIME, _zone(tz))


def overdue_at(due: date, tz: str | tzinfo) -> datetime:
    """Return when an item becomes overdue for its owner: 09:00 their time the day after due."""
    return _local_moment(due + timedelta(days=1), REMINDER_TIME, _zone(tz))


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


# --- follow-up timing --------------------------------------------------------------------------


def next_digest(now: datetime, weekday: int, hour: int, tz: str | tzinfo) -> datetime:
    """Return the next weekly digest time after `now` (weekday 0 = Monday, local hour), in UTC."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not 0 <= weekday <= 6 or not 0 <= hour <= 23:
        raise BadInput("weekday must be 0-6 and hour 0-23", field="digest")
    zone = _zone(tz)
    today = now.astimezone(zone).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        if day.weekday() == weekday and (at := _local_moment(day, time(hour), zone)) > now:
            return at
    raise AssertionError("a weekday recurs within eight days")  # pragma: no cover


def _local_moment(day: date, at: time, zone: tzinfo) -> datetime:
    """Return wall-clock `at` on `day` in `zone` as aware UTC.

    A time skipped by a DST jump resolves with the pre-jump offset (it lands just after the jump);
    a repeated time resolves to its first occurrence.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _zone(tz: str | tzinfo) -> tzinfo:
    """Return a time zone from an IANA name or pass a tzinfo through."""
    if not isinstance(tz, str):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput(f"unknown time zone {tz!r}", field="tz") from exc


# --- digest ------------------------------------------------------------------------------------

NO_TEAM = "No team"


@dataclass(frozen=True)
class OwnerDigest:
    owner: str
    overdue_items: tuple[ActionItemFacts, ...]
    open_items: tuple[ActionItemFacts, ...]


@dataclass(frozen=True)
class TeamDigest:
    team: str
    owners: tuple[OwnerDigest, ...]


@dataclass(frozen=True)
class Digest:
    """Open and overdue action items by team, then owner (teams and owners sorted by name)."""

    today: date
    teams: tuple[TeamDigest, ...]
    finished: tuple[ActionItemFacts, ...] = ()  # done or dropped in the week before `today`

    @property
    def overdue_count(self) -> int:
        """Return how many items are overdue."""
        return sum(len(o.overdue_items) for t in self.teams for o in t.owners)

    @property
    def open_count(self) -> int:
        """Return how many items still need work, overdue ones included."""
        return self.overdue_count + sum(len(o.open_items) for t in self.teams for o in t.owners)


def group_for_digest(
    items: Iterable[ActionItemFacts], today: date, finished: Iterable[ActionItemFacts] = ()
) -> Digest:
    """Group the items still needing work by team and owner, overdue apart, earliest due first;
    `finished` lists what was done or dropped lately."""
    active = [item for item in items if item.state.is_active]
    by_team = _group(active, lambda item: item.team or NO_TEAM)
    teams = sorted(by_team, key=lambda team: (team == NO_TEAM, team.casefold()))
    done = tuple(i for i in finished if not i.state.is_active)
    return Digest(
        today, tuple(TeamDigest(t, _owner_digests(by_team[t], today)) for t in teams), done
    )


def _owner_digests(items: Sequence[ActionItemFacts], today: date) -> tuple[OwnerDigest, ...]:
    """Split one team's items by owner into overdue and open."""
    by_owner = _group(items, lambda item: item.owner)
    return tuple(
        OwnerDigest(
            owner,
            tuple(i for i in by_owner[owner] if is_overdue(i.state, i.due, today)),
            tuple(i for i in by_owner[owner] if not is_overdue(i.state, i.due, today)),
        )
        for owner in sorted(by_owner, key=str.casefold)
    )


def _group(
    items: Iterable[ActionItemFacts], key: Callable[[ActionItemFacts], str]
) -> dict[str, list[ActionItemFacts]]:
    """Group items by key, each group ordered by due date."""
    groups: defaultdict[str, list[ActionItemFacts]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i.due):
        groups[key(item)].append(item)
    return groups
