"""Who may change an action item: a pure rule shared by Slack buttons, commands and the web."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.errors import Forbidden
from bot.vocabulary import ItemEditor


@dataclass(frozen=True)
class ItemPeople:
    """The people an action item's rule looks at."""

    owner: str
    team: str | None = None
    team_members: Collection[str] = ()
    managers: Collection[str] = ()
    commander: str | None = None


def may_change(allowed: Sequence[ItemEditor], people: ItemPeople, actor: str) -> bool:
    """Whether `actor` may change the item; an empty `allowed` means anyone may."""
    if not allowed:
        return True
    checks = {
        ItemEditor.OWNER: actor == people.owner,
        ItemEditor.TEAM: people.team is not None and actor in people.team_members,
        ItemEditor.MANAGER: actor in people.managers,
        ItemEditor.COMMANDER: people.commander is not None and actor == people.commander,
    }
    return any(checks[who] for who in allowed)


def require_change(
    allowed: Sequence[ItemEditor], people: ItemPeople, actor: str, item_id: int
) -> None:
    """Raise Forbidden, naming who may, unless `actor` may change item `item_id`."""
    if may_change(allowed, people, actor):
        return
    who = " or ".join(_describe(editor, people) for editor in allowed)
    raise Forbidden(f"Only {who} may change action item #{item_id}.")


def _describe(editor: ItemEditor, people: ItemPeople) -> str:
    if editor is ItemEditor.OWNER:
        return f"its owner (<@{people.owner}>)"
    if editor is ItemEditor.TEAM:
        return f"a member of team {people.team}" if people.team else "a member of its team"
    if editor is ItemEditor.MANAGER:
        return "a manager" if people.managers else "a manager (none are configured)"
    holder = f" (<@{people.commander}>)" if people.commander else ""
    return f"the incident's commander{holder}"
