"""Action item and postmortem queries. Keyword-only, take the session, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.errors import NotFound
from bot.models import ActionItem, Incident, Postmortem
from bot.postmortem.schemas import ActionItemFacts, ActionKind, ActionState, PostmortemState


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
        kind=kind.value,
        state=ActionState.OPEN.value,
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
    """Action items matching the filter, earliest due first."""
    stmt = _filtered(_select(), where).order_by(ActionItem.due_on, ActionItem.id).limit(where.limit)
    return [_record(*found) for found in (await session.execute(stmt)).all()]


def _select() -> Select[tuple[ActionItem, int, str, str | None]]:
    return select(ActionItem, Incident.number, Incident.title, Incident.channel_id).join(
        Incident, Incident.id == ActionItem.incident_id
    )


def _filtered(
    stmt: Select[tuple[ActionItem, int, str, str | None]], where: ItemFilter
) -> Select[tuple[ActionItem, int, str, str | None]]:
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


def _record(item: ActionItem, number: int, title: str, channel: str | None) -> ItemRecord:
    return ItemRecord(
        id=item.id,
        incident_id=item.incident_id,
        incident_number=number,
        incident_title=title,
        incident_channel=channel,
        text=item.text,
        owner_id=item.owner_id,
        team=item.team,
        kind=ActionKind(item.kind),
        state=ActionState(item.state),
        due=item.due_on,
        reason=item.reason,
        created_by=item.created_by,
        created_at=item.created_at,
        done_at=item.done_at,
        channel_id=item.channel_id,
        message_ts=item.message_ts,
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
