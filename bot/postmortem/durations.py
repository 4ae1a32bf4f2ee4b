"""Pure incident durations: time to detect, acknowledge, contain and resolve, and their stats."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.vocabulary import IncidentType, Severity

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
