"""What an `/incident` subcommand is: a name, a usage line and a coroutine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.slack.context import SlackContext


@dataclass(frozen=True)
class Invocation:
    """One typed command: its arguments and who typed it where."""

    name: str
    rest: str
    user_id: str
    channel_id: str
    trigger_id: str


Reply = str | None


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str  # e.g. "`/incident severity <P1|P2|P3>` — change severity"
    run: Callable[[SlackContext, Invocation], Awaitable[Reply]]
    # A pure check of the arguments, run before acking so a usage error is answered at once.
    check: Callable[[str, str], object] | None = None
    opens_modal: bool = False  # its work opens a modal: it does not wait behind other work
