"""Who may change which action items: the shared rule applied with the database's facts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.incidents import store as incident_store
from bot.postmortem import permissions
from bot.postmortem.permissions import ItemPeople
from bot.postmortem.store import ItemRecord
from bot.vocabulary import ItemEditor


async def check(*, session: AsyncSession, config: Config, item: ItemRecord, actor: str) -> None:
    """Raise Forbidden, naming who may, unless `actor` may change the item."""
    found = await _commanders(session, config, [item])
    allowed = config.followup.item_changes
    permissions.require_change(allowed, _people(config, item, found), actor, item.id)


async def changeable(
    *, session: AsyncSession, config: Config, items: Sequence[ItemRecord], actor: str
) -> frozenset[int]:
    """The ids of the items `actor` may change."""
    found = await _commanders(session, config, items)
    allowed = config.followup.item_changes
    return frozenset(
        i.id for i in items if permissions.may_change(allowed, _people(config, i, found), actor)
    )


async def _commanders(
    session: AsyncSession, config: Config, items: Sequence[ItemRecord]
) -> dict[int, str]:
    if ItemEditor.COMMANDER not in config.followup.item_changes:
        return {}
    ids = [i.incident_id for i in items]
    return await incident_store.commanders(session=session, incident_ids=ids)


def _people(config: Config, item: ItemRecord, commanders: dict[int, str]) -> ItemPeople:
    teams = {name.casefold(): members for name, members in config.followup.teams.items()}
    return ItemPeople(
        owner=item.owner_id,
        team=item.team,
        team_members=teams.get(item.team.casefold(), ()) if item.team else (),
        managers=config.followup.managers,
        commander=commanders.get(item.incident_id),
    )
