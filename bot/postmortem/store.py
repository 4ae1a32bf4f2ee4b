"""Action item and postmortem queries. Keyword-only, take the session, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.errors import NotFound
from bot.models import ActionItem, Incident, Postmortem, TrackerIssue
from bot.postmortem.schemas import ActionItemFacts
from bot.trackers.schemas import TrackerRef
from bot.vocabulary import ActionKind, ActionState, PostmortemState


@dataclass(frozen=True)
class ItemRecord:
    """An action item with the incident it came from, as every view of it needs."""

    id: int
    incident_id: int
    incident_number: int
    incident_title: str
    incident_channel: str | None
    text: str
    owner_id: str
    team: str | None
    kind: ActionKind
    state: ActionState
    due: date
    reason: str | None
    created_by: str
    created_at: datetime
    done_at: datetime | None
    channel_id: str | None
    message_ts: str | None
    tracker: TrackerRef | None = None  # its Jira or Linear issue, when a tracker takes it

    def facts(self) -> ActionItemFacts:
        """Return the item as rules and documents see it."""
        return ActionItemFacts(
            kind=self.kind,
            text=self.text,
            owner=self.owner_id,
            due=self.due,
            state=self.state,
            team=self.team,
            incident_number=self.incident_number,
            item_id=self.id,
        )


class ItemOrder(StrEnum):
    """What action item lists can be sorted by."""

    DUE = "due"
    INCIDENT = "incident"
    OWNER = "owner"
    TEAM = "team"
    STATE = "state"
    KIND = "kind"
    ID = "id"


_ORDER_COLUMNS: dict[ItemOrder, Any] = {
    ItemOrder.DUE: ActionItem.due_on,
    ItemOrder.INCIDENT: Incident.number,
    ItemOrder.OWNER: ActionItem.owner_id,
    ItemOrder.TEAM: ActionItem.team,
    ItemOrder.STATE: ActionItem.state,
    ItemOrder.KIND: ActionItem.kind,
    ItemOrder.ID: ActionItem.id,
}


@dataclass(frozen=True)
class ItemFilter:
    """Which action items to list; every field left None matches everything."""

    owners: Sequence[str] | None = None
    teams: Sequence[str] | None = None
    states: Sequence[ActionState] | None = None
    kind: ActionKind | None = None
    incident_id: int | None = None
    due_before: date | None = None  # overdue when combined with the active states
    finished_since: datetime | None = None
    limit: int = 500
    offset: int = 0
    order: ItemOrder = ItemOrder.DUE
    descending: bool = False


async def add(
    *,
    session: AsyncSession,
    incident_id: int,
    text: str,
    owner_id: str,
    team: str | None,
    kind: ActionKind,
    due: date,
    created_by: str,
    now: datetime,
) -> int:
    """Insert an action item; returns its id."""
    row = ActionItem(
        incident_id=incident_id,
        text=text,
        owner_id=owner_id,
        team=team,
        kind=kind,
        state=ActionState.OPEN,
        due_on=due,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


async def row(*, session: AsyncSession, item_id: int, lock: bool = False) -> ActionItem:
    """Load an action item row (for changes; `lock` holds it until commit) or raise NotFound."""
    found = await session.get(
        ActionItem, item_id, populate_existing=True, with_for_update=lock or None
    )
    if found is None:
        raise NotFound(f"there is no action item #{item_id}")
    return found


async def record(*, session: AsyncSession, item_id: int) -> ItemRecord:
    """Load one action item with its incident, or raise NotFound."""
    found = (await session.execute(_select().where(ActionItem.id == item_id))).first()
    if found is None:
        raise NotFound(f"there is no action item #{item_id}")
    return _record(*found)


async def query(*, session: AsyncSession, where: ItemFilter) -> list[ItemRecord]:
    """Action items matching the filter, in its order (earliest due first by default)."""
    column = _ORDER_COLUMNS[where.order]
    first = column.desc().nulls_last() if where.descending else column.asc().nulls_last()
    stmt = _filtered(_select(), where).order_by(first, ActionItem.due_on, ActionItem.id)
    stmt = stmt.limit(where.limit).offset(where.offset)
    return [_record(*found) for found in (await session.execute(stmt)).all()]


@dataclass(frozen=True)
class ItemCount:
    """How many matching items one owner in one team has in one state, and how many overdue."""

    team: str | None
    owner_id: str
    state: ActionState
    count: int
    overdue: int


async def counts(*, session: AsyncSession, where: ItemFilter, today: date) -> list[ItemCount]:
    """Counts of the matching items by team, owner and state (limit and order ignored)."""
    overdue = case((ActionItem.due_on < today, 1), else_=0)
    stmt = _filtered(
        select(
            ActionItem.team, ActionItem.owner_id, ActionItem.state, func.count(), func.sum(overdue)
        )
        .join(Incident, Incident.id == ActionItem.incident_id)
        .group_by(ActionItem.team, ActionItem.owner_id, ActionItem.state),
        where,
    )
    return [
        ItemCount(
            team,
            owner,
            state,
            int(n),
            int(late or 0) if state.is_active else 0,
        )
        for team, owner, state, n, late in (await session.execute(stmt)).all()
    ]


def _select() -> Select[tuple[ActionItem, int, str, str | None, TrackerIssue]]:
    return (
        select(ActionItem, Incident.number, Incident.title, Incident.channel_id, TrackerIssue)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .outerjoin(TrackerIssue, TrackerIssue.item_id == ActionItem.id)
    )


def _filtered(stmt: Select[Any], where: ItemFilter) -> Select[Any]:
    if where.owners is not None:
        stmt = stmt.where(ActionItem.owner_id.in_(list(where.owners)))
    if where.teams is not None:
        stmt = stmt.where(func.lower(ActionItem.team).in_([t.lower() for t in where.teams]))
    if where.states is not None:
        stmt = stmt.where(ActionItem.state.in_([s.value for s in where.states]))
    if where.kind is not None:
        stmt = stmt.where(ActionItem.kind == where.kind.value)
    if where.incident_id is not None:
        stmt = stmt.where(ActionItem.incident_id == where.incident_id)
    if where.due_before is not None:
        stmt = stmt.where(ActionItem.due_on < where.due_before)
    if where.finished_since is not None:
        stmt = stmt.where(ActionItem.updated_at >= where.finished_since)
    return stmt


def _record(
    item: ActionItem,
    number: int,
    title: str,
    channel: str | None,
    issue: TrackerIssue | None = None,
) -> ItemRecord:
    return ItemRecord(
        id=item.id,
        incident_id=item.incident_id,
        incident_number=number,
        incident_title=title,
        incident_channel=channel,
        text=item.text,
        owner_id=item.owner_id,
        team=item.team,
        kind=item.kind,
        state=item.state,
        due=item.due_on,
        reason=item.reason,
        created_by=item.created_by,
        created_at=item.created_at,
        done_at=item.done_at,
        channel_id=item.channel_id,
        message_ts=item.message_ts,
        tracker=_tracker_ref(issue) if issue is not None else None,
    )


def _tracker_ref(issue: TrackerIssue) -> TrackerRef:
    return TrackerRef(
        tracker=issue.tracker,
        kind=issue.kind,
        key=issue.remote_key,
        url=issue.url,
        sync=issue.sync,
        error=issue.error,
    )


async def postmortem(*, session: AsyncSession, incident_id: int) -> Postmortem | None:
    """The stored postmortem of an incident, if one was written."""
    return await session.get(Postmortem, incident_id, populate_existing=True)


async def save_postmortem(
    *,
    session: AsyncSession,
    incident_id: int,
    state: PostmortemState,
    markdown: str,
    actor: str,
    now: datetime,
) -> None:
    """Store the rendered postmortem and its state (an upsert: two clicks never conflict)."""
    values = {"state": state.value, "markdown": markdown, "updated_by": actor, "updated_at": now}
    stmt = insert_ignoring_conflicts(session, Postmortem).values(incident_id=incident_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["incident_id"], set_=values))


async def teams_and_owners(*, session: AsyncSession) -> tuple[list[str], list[str]]:
    """Every team and every owner that has an action item."""
    teams = await session.scalars(select(ActionItem.team).distinct())
    owners = await session.scalars(select(ActionItem.owner_id).distinct())
    return sorted({t for t in teams if t}, key=str.casefold), sorted(owners)
