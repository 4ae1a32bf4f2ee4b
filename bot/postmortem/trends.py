"""Response times over time: median time to detect, acknowledge, contain, resolve per period."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.postmortem.durations import MEASURES, Durations, MeasureStats, summarize_measure
from bot.vocabulary import Severity


@dataclass(frozen=True)
class Period:
    """One period of the trend: per measure and severity, the stats of incidents declared in it."""

    start: datetime
    end: datetime
    count: int
    stats: Mapping[tuple[str, Severity], MeasureStats | None]

    def median(self, measure: str, severity: Severity) -> timedelta | None:
        """The median of one measure for one severity, None without data."""
        found = self.stats.get((measure, severity))
        return found.median if found else None


def periods(
    rows: Iterable[tuple[datetime, Severity, Durations]],
    *,
    start: datetime,
    end: datetime,
    width: timedelta,
) -> list[Period]:
    """Split [start, end) into periods of `width` and summarise the incidents declared in each."""
    if width <= timedelta(0) or end <= start:
        raise ValueError("periods need a positive width and end after start")
    grouped: defaultdict[int, list[tuple[Severity, Durations]]] = defaultdict(list)
    for declared, severity, measured in rows:
        if start <= declared < end:
            grouped[int((declared - start) / width)].append((severity, measured))
    found = []
    index = 0
    while start + index * width < end:
        members = grouped.get(index, [])
        found.append(
            Period(
                start=start + index * width,
                end=min(start + (index + 1) * width, end),
                count=len(members),
                stats={
                    (m, sev): summarize_measure([getattr(d, m) for s, d in members if s is sev])
                    for m in MEASURES
                    for sev in Severity
                },
            )
        )
        index += 1
    return found
