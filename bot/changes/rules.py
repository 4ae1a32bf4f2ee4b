"""Pure rules for "what changed": which changes count near an incident, and how to say when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.vocabulary import ChangeKind

LOOKBACK = timedelta(days=7)
TRAFFIC_LOOKBACK = timedelta(hours=48)
MAX_DAYS = 90


def lookback(kind: ChangeKind, days: int | None) -> timedelta:
    """How far before the incident a change of this kind still counts (`days` overrides)."""
    if days is not None:
        return timedelta(days=days)
    return TRAFFIC_LOOKBACK if kind is ChangeKind.TRAFFIC else LOOKBACK


def widest_lookback(days: int | None) -> timedelta:
    """The longest lookback of any kind, for the query window."""
    return timedelta(days=days) if days is not None else LOOKBACK


def counts(kind: ChangeKind, at: datetime, anchor: datetime, days: int | None) -> bool:
    """Whether a change of `kind` at `at` is near an incident anchored at `anchor`."""
    return at >= anchor - lookback(kind, days)


def subjects(feature: str | None, service: str | None) -> list[str]:
    """The names a change may carry to concern this incident (feature first, no repeats)."""
    return list(dict.fromkeys(name for name in (feature, service) if name))


def concerns(change_subjects: Iterable[str | None], incident_subjects: Iterable[str]) -> bool:
    """Whether a change's feature/service names one of the incident's."""
    wanted = set(incident_subjects)
    return any(name in wanted for name in change_subjects if name)


def duration(delta: timedelta) -> str:
    """Say a duration briefly: '45 s', '12 min', '2 h 5 min', '3 d 4 h'."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{seconds} s"


def relative(at: datetime, anchor: datetime, anchor_label: str) -> str:
    """Say when `at` was relative to the anchor, e.g. '2 h 5 min before the first alert'."""
    if at == anchor:
        return f"at the {anchor_label}"
    side = "before" if at < anchor else "after"
    return f"{duration(at - anchor)} {side} the {anchor_label}"


def window_text(days: int | None) -> str:
    """Describe the lookback window for a message header."""
    if days is None:
        return "last 7 days (traffic: 48 h)"
    return f"last {days} day" + ("" if days == 1 else "s")
