"""Pure parsing of what follows `/incident`: the subcommand word and typed arguments."""

from __future__ import annotations

from collections.abc import Iterable

from bot.errors import BadInput
from bot.untrusted import MENTION, escape_markup
from bot.vocabulary import IncidentType, Role, Severity


def split(text: str) -> tuple[str, str]:
    """Return (subcommand, rest); an empty text means `help`."""
    name, _, rest = text.strip().partition(" ")
    return (name.lower() or "help"), rest.strip()


def help_text(usages: Iterable[str]) -> str:
    """Every subcommand with its usage."""
    return "*`/incident` commands*\n" + "\n".join(f"• {line}" for line in usages)


def mention(word: str, usage: str) -> str:
    """The user id in a Slack mention (`<@U123>` or `<@U123|name>`), or BadInput with usage."""
    match = MENTION.fullmatch(word)
    if match is None:
        raise BadInput(f"Mention the person with @. Usage: {usage}")
    return match.group(1)


def role_and_user(rest: str, usage: str) -> tuple[Role, str]:
    """Parse `<role> @user`."""
    words = rest.split()
    if len(words) != 2:
        raise BadInput(f"Usage: {usage}")
    try:
        role = Role(words[0].lower())
    except ValueError:
        raise BadInput(f"`{escape_markup(words[0][:30])}` is not a role. Usage: {usage}") from None
    return role, mention(words[1], usage)


def severity(rest: str, usage: str) -> Severity:
    """Parse `P1`, `P2` or `P3` (any case)."""
    try:
        return Severity(rest.strip().upper())
    except ValueError:
        raise BadInput(f"Usage: {usage}") from None


def incident_type(rest: str, usage: str) -> IncidentType:
    """Parse an incident type, forgiving dashes, spaces and case."""
    try:
        return IncidentType(rest.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        types = ", ".join(f"`{t.value}`" for t in IncidentType)
        raise BadInput(f"Usage: {usage}\nTypes: {types}") from None


def no_args(rest: str, usage: str) -> None:
    """Refuse unexpected arguments."""
    if rest:
        raise BadInput(f"Usage: {usage}")


def required(rest: str, usage: str) -> str:
    """Refuse a missing argument."""
    if not rest:
        raise BadInput(f"Usage: {usage}")
    return rest
