"""Names for the people a document mentions: cached, looked up in Slack when a lookup is at hand.

Documents keep user ids (they link people); these names are what people read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.incidents import people as people_store

NameLookup = Callable[[str], Awaitable[str | None]]
FRESH_FOR = timedelta(days=7)  # names rarely change; look again after a week
_USER_ID = re.compile(r"^[UW][A-Z0-9_]+$")


def is_user_id(value: str) -> bool:
    """Whether a value is a Slack user id (rather than a system actor such as 'evals')."""
    return bool(_USER_ID.match(value))


async def names(
    *,
    session: AsyncSession,
    user_ids: Iterable[str],
    now: datetime,
    name_of: NameLookup | None = None,
) -> dict[str, str]:
    """Return the names of these users: cached ones, and (with `name_of`) missing or old ones
    looked up and cached."""
    wanted = {u for u in user_ids if is_user_id(u)}
    known = {
        user_id: (person.name, person.fetched_at)
        for user_id, person in (await people_store.cached(session=session, user_ids=wanted)).items()
    }
    if name_of is not None:
        for user_id in sorted(wanted):
            cached = known.get(user_id)
            if cached is not None and now - cached[1] < FRESH_FOR:
                continue
            name = await name_of(user_id)
            if name:
                await people_store.remember(session=session, user_id=user_id, name=name, now=now)
                known[user_id] = (name, now)
    return {user_id: name for user_id, (name, _) in known.items()}
