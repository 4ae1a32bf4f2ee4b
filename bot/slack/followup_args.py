"""Parsing the follow-up `/incident` arguments: resolve, action items, postmortem, stats.

Each parser takes the text after the subcommand and returns a small frozen value, or raises
BadInput whose message names the problem and shows the usage line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.errors import BadInput
from bot.postmortem.schemas import ActionAddArgs, ActionsQuery, Scope
from bot.untrusted import MENTION, escape_markup
from bot.vocabulary import ActionKind, PostmortemState

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KINDS = frozenset(kind.value for kind in ActionKind)

# --- /incident resolve -------------------------------------------------------------------------

USAGE_RESOLVE = "/incident resolve [note] | /incident resolve --override <reason>"
OVERRIDE_FLAG = "--override"


@dataclass(frozen=True)
class ResolveArgs:
    """A parsed `/incident resolve`: an optional note, or an override with its reason."""

    note: str | None = None
    override: str | None = None


def parse_resolve(text: str) -> ResolveArgs:
    """Parse `[note]` or `--override <reason>` (the reason is required)."""
    text = text.strip()
    head, _, rest = text.partition(" ")
    if head.lower() != OVERRIDE_FLAG:
        if OVERRIDE_FLAG in text.lower():
            raise BadInput(f"put {OVERRIDE_FLAG} first. Usage: {USAGE_RESOLVE}")
        return ResolveArgs(note=text or None)
    if not rest.strip():
        raise BadInput(f"say why the fix can't be validated. Usage: {USAGE_RESOLVE}")
    return ResolveArgs(override=_slack_unescape(rest.strip()))


# --- /incident action add | due ----------------------------------------------------------------

USAGE_ACTION_ADD = (
    f'/incident action add "<text>" @owner [due YYYY-MM-DD] [kind] (kind: {", ".join(ActionKind)})'
)
USAGE_ACTION_DUE = "/incident action due <item number> YYYY-MM-DD"
_QUOTED = re.compile(r'\s*["“”„](?P<text>.*)["“”]\s*(?P<rest>.*)', re.DOTALL)


@dataclass(frozen=True)
class ActionDueArgs:
    """A parsed `/incident action due`."""

    item_id: int
    due: date


def parse_action_add(text: str) -> ActionAddArgs:
    """Parse the arguments after `/incident action add`; raise BadInput with the usage if wrong."""
    quoted = _QUOTED.fullmatch(text)
    if not quoted or not quoted["text"].strip():
        raise _usage("put the action item text in quotes", "text")
    owners = MENTION.findall(quoted["rest"])
    if len(owners) != 1:
        raise _usage("mention exactly one owner, like @name", "owner")
    due, kind = _parse_options(MENTION.sub(" ", quoted["rest"]).split())
    return ActionAddArgs(_slack_unescape(quoted["text"].strip()), owners[0], due, kind)


def parse_action_due(text: str) -> ActionDueArgs:
    """Parse `<item number> YYYY-MM-DD` (the number may be written #12)."""
    words = text.split()
    if len(words) != 2 or not words[0].lstrip("#").isdigit():
        raise BadInput(f"Usage: {USAGE_ACTION_DUE}", field="item")
    return ActionDueArgs(int(words[0].lstrip("#")), _parse_date(words[1], USAGE_ACTION_DUE))


def _parse_options(words: Sequence[str]) -> tuple[date | None, ActionKind | None]:
    """Read the optional `due YYYY-MM-DD` and kind words, in any order, each at most once."""
    due: date | None = None
    kind: ActionKind | None = None
    rest = list(words)
    while rest:
        raw = rest.pop(0)
        word = raw.lower()
        if word == "due" and due is None:
            due = _parse_date(rest.pop(0) if rest else "", USAGE_ACTION_ADD)
        elif word in _KINDS and kind is None:
            kind = ActionKind(word)
        else:
            raise _usage(f"unexpected {raw!r}", "options")
    return due, kind


def _parse_date(word: str, usage: str) -> date:
    """Parse an ISO calendar date."""
    try:
        if _DATE.fullmatch(word):
            return date.fromisoformat(word)
    except ValueError:
        pass
    got = escape_markup(repr(word[:40]))
    raise BadInput(f"due date must look like 2026-12-01, got {got}. Usage: {usage}", field="due")


def _slack_unescape(text: str) -> str:
    """Undo Slack's escaping of &, < and > in command text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _usage(problem: str, field: str) -> BadInput:
    """Return a BadInput that names the problem and shows the usage line."""
    return BadInput(f"{problem}. Usage: {USAGE_ACTION_ADD}", field=field)


# --- /incident actions -------------------------------------------------------------------------

USAGE_ACTIONS = "/incident actions [mine|overdue|@user|team <name>]"


def parse_actions(text: str) -> ActionsQuery:
    """Parse what `/incident actions` should list."""
    words = text.split()
    if not words:
        return ActionsQuery(Scope.HERE)
    head = words[0].lower()
    if head in (Scope.MINE, Scope.OVERDUE) and len(words) == 1:
        return ActionsQuery(Scope(head))
    if head == Scope.TEAM and len(words) > 1:
        return ActionsQuery(Scope.TEAM, " ".join(words[1:]))
    mention = MENTION.fullmatch(words[0])
    if mention and len(words) == 1:
        return ActionsQuery(Scope.USER, mention["id"])
    raise BadInput(f"Usage: {USAGE_ACTIONS}")


# --- /incident postmortem ----------------------------------------------------------------------

USAGE_POSTMORTEM = "/incident postmortem [review|publish]"
_POSTMORTEM_WORDS = {
    "": PostmortemState.DRAFT,
    "draft": PostmortemState.DRAFT,
    "review": PostmortemState.IN_REVIEW,
    "publish": PostmortemState.PUBLISHED,
}


def parse_postmortem(text: str) -> PostmortemState:
    """Parse the postmortem state asked for: draft (just render), review or publish."""
    try:
        return _POSTMORTEM_WORDS[text.strip().lower()]
    except KeyError:
        raise BadInput(f"Usage: {USAGE_POSTMORTEM}") from None


# --- /incident stats ---------------------------------------------------------------------------

USAGE_STATS = "/incident stats [days]"
DEFAULT_STATS_DAYS = 30
MAX_STATS_DAYS = 3650


def parse_stats(text: str) -> int:
    """Parse the period in days (default 30)."""
    word = text.strip().lower().removesuffix("d")
    if not word:
        return DEFAULT_STATS_DAYS
    if not word.isdigit() or not 1 <= int(word) <= MAX_STATS_DAYS:
        raise BadInput(f"days must be 1 to {MAX_STATS_DAYS}. Usage: {USAGE_STATS}")
    return int(word)
