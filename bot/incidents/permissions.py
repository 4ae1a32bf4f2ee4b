"""Who may do what in an incident: a pure rule over roles held."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.errors import Forbidden
from bot.vocabulary import Role


def require(allowed: Sequence[Role], held: Mapping[Role, str], user_id: str, what: str) -> None:
    """Raise Forbidden, naming who may, unless the user holds one of the allowed roles."""
    if not allowed or any(held.get(role) == user_id for role in allowed):
        return
    holders = [f"the {role.label} (<@{held[role]}>)" for role in allowed if role in held]
    vacant = [f"the {role.label}" for role in allowed if role not in held]
    who = " or ".join(holders + vacant)
    hint = " — nobody holds that role yet; take it with `/incident role`" if not holders else ""
    raise Forbidden(f"Only {who} may {what}{hint}.")
