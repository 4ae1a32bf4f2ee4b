"""The web page of action items: one page of a filtered, sorted list, and counts beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.flows import action_item_access
from bot.flows import action_items as item_flows
from bot.incidents import store as incident_store
from bot.postmortem import store as item_store
from bot.postmortem.store import ItemCount, ItemFilter, ItemOrder, ItemRecord
from bot.vocabulary import ActionKind, ActionState


@dataclass(frozen=True)
class BoardQuery:
    """What the page asks for; None matches everything."""

    team: str | None = None
    owner: str | None = None
    states: tuple[ActionState, ...] | None = item_flows.ACTIVE
    kind: ActionKind | None = None
    incident: int | None = None
    overdue: bool = False
    order: ItemOrder = ItemOrder.DUE
    descending: bool = False
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class Board:
    items: tuple[ItemRecord, ...]
    total: int
    counts: tuple[ItemCount, ...]  # by team, owner and state, over every state
    changeable: frozenset[int]  # ids of the listed items the viewer may change
    today: date
    teams: tuple[str, ...]
    owners: tuple[str, ...]


async def board(
    *, session: AsyncSession, config: Config, query: BoardQuery, viewer: str, now: datetime
) -> Board:
    """The items on the asked-for page, how many match, counts by team and owner, and more."""
    today = item_flows.today(config, now)
    where = await _filter(session, query, today)
    every_state = replace(where, states=None, due_before=None)
    counts = await item_store.counts(session=session, where=every_state, today=today)
    items = await item_store.query(session=session, where=where)
    teams, owners = await item_store.teams_and_owners(session=session)
    return Board(
        items=tuple(items),
        total=_total(counts, where.states, overdue=query.overdue),
        counts=tuple(counts),
        changeable=await action_item_access.changeable(
            session=session, config=config, items=items, actor=viewer
        ),
        today=today,
        teams=tuple(sorted({*teams, *config.followup.teams}, key=str.casefold)),
        owners=tuple(owners),
    )


async def _filter(session: AsyncSession, query: BoardQuery, today: date) -> ItemFilter:
    incident_id = None
    if query.incident is not None:
        found = await incident_store.get_by_number(session=session, number=query.incident)
        incident_id = found.id
    states = query.states
    if query.overdue:
        states = tuple(s for s in (states or item_flows.ACTIVE) if s.is_active)
    return ItemFilter(
        owners=[query.owner] if query.owner else None,
        teams=[query.team] if query.team else None,
        states=states,
        kind=query.kind,
        incident_id=incident_id,
        due_before=today if query.overdue else None,
        limit=query.per_page,
        offset=(query.page - 1) * query.per_page,
        order=query.order,
        descending=query.descending,
    )


def _total(counts: list[ItemCount], states: Sequence[ActionState] | None, *, overdue: bool) -> int:
    matching = [c for c in counts if states is None or c.state in states]
    return sum(c.overdue if overdue else c.count for c in matching)
