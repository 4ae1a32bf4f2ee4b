"""The weekly digest of action items: when it is sent, and the items by team and owner."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.errors import BadInput
from bot.postmortem import rules
from bot.postmortem.schemas import ActionItemFacts


def next_digest(now: datetime, weekday: int, hour: int, tz: str | tzinfo) -> datetime:
    """Return the next weekly digest time after `now` (weekday 0 = Monday, local hour), in UTC."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not 0 <= weekday <= 6 or not 0 <= hour <= 23:
        raise BadInput("weekday must be 0-6 and hour 0-23", field="digest")
    where = rules.zone(tz)
    today = now.astimezone(where).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        if day.weekday() == weekday and (at := rules.local_moment(day, time(hour), where)) > now:
            return at
    raise AssertionError("a weekday recurs within eight days")  # pragma: no cover


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
            tuple(i for i in by_owner[owner] if rules.is_overdue(i.state, i.due, today)),
            tuple(i for i in by_owner[owner] if not rules.is_overdue(i.state, i.due, today)),
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
