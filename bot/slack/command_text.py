"""Parse the text after `/incident` into a subcommand and its arguments (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import BadInput
from bot.incidents.schemas import IncidentType, Role, Severity

USAGE: dict[str, str] = {
    "declare": "`/incident declare [title]` — open a new incident (a form opens)",
    "status": "`/incident status` — show this incident's summary (in an incident channel)",
    "list": "`/incident list` — open incidents, with links",
    "role": "`/incident role <commander|comms|engineering|safety> @user` — assign or hand over",
    "severity": "`/incident severity <P1|P2|P3>` — change severity",
    "type": "`/incident type <type>` — change the incident type",
    "update": "`/incident update [text]` — post a status update (a form opens without text)",
    "note": "`/incident note <text>` — add a note to the timeline",
    "resolve": "`/incident resolve [reason]` — mark the incident resolved",
    "reopen": "`/incident reopen` — reopen a resolved or declined incident",
    "help": "`/incident help` — this list",
}

MENTION = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class Command:
    name: str
    rest: str = ""
    role: Role | None = None
    user_id: str | None = None
    severity: Severity | None = None
    type: IncidentType | None = None


def usage(name: str) -> str:
    """The usage line for a subcommand."""
    return f"Usage: {USAGE[name]}"


def help_text() -> str:
    """Every subcommand with its usage."""
    return "*`/incident` commands*\n" + "\n".join(f"• {line}" for line in USAGE.values())


def parse(text: str) -> Command:
    """Split `/incident` text into a Command, or raise BadInput carrying the usage line."""
    name, _, rest = text.strip().partition(" ")
    name, rest = name.lower(), rest.strip()
    if not name:
        return Command("help")
    if name not in USAGE:
        raise BadInput(f"I don't know `{name[:40]}`. Try `/incident help`.")
    parser = _PARSERS.get(name, _free_text)
    return parser(name, rest)


def _free_text(name: str, rest: str) -> Command:
    if name in ("note",) and not rest:
        raise BadInput(usage(name))
    return Command(name, rest=rest)


def _no_args(name: str, rest: str) -> Command:
    if rest:
        raise BadInput(usage(name))
    return Command(name)


def _role(name: str, rest: str) -> Command:
    words = rest.split()
    if len(words) != 2:
        raise BadInput(usage(name))
    role_word, mention = words
    try:
        role = Role(role_word.lower())
    except ValueError:
        raise BadInput(f"`{role_word[:30]}` is not a role. {usage(name)}") from None
    match = MENTION.match(mention)
    if match is None:
        raise BadInput(f"Mention the person with @. {usage(name)}")
    return Command(name, role=role, user_id=match.group(1))


def _severity(name: str, rest: str) -> Command:
    try:
        return Command(name, severity=Severity(rest.upper()))
    except ValueError:
        raise BadInput(usage(name)) from None


def _type(name: str, rest: str) -> Command:
    try:
        return Command(name, type=IncidentType(rest.lower().replace("-", "_").replace(" ", "_")))
    except ValueError:
        types = ", ".join(f"`{t.value}`" for t in IncidentType)
        raise BadInput(f"{usage(name)}\nTypes: {types}") from None


_PARSERS = {
    "status": _no_args,
    "list": _no_args,
    "reopen": _no_args,
    "help": _no_args,
    "role": _role,
    "severity": _severity,
    "type": _type,
}
