"""Who people are, as the web pages need it from Slack: names, time zones, Sign in with Slack.

`bot/slack/directory.py` implements `People` with the Slack Web API; the web pages only see
this protocol, so they work (with user ids for names) when Slack is not configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.errors import BotError


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    tz: str | None = None


@dataclass(frozen=True)
class SignedIn:
    """What Sign in with Slack told us: the id_token's claims and `openid.connect.userInfo`."""

    user_id: str
    team_id: str
    name: str
    claims: Mapping[str, Any] = field(default_factory=dict)


class SignInFailed(BotError):
    """Slack refused the sign-in (bad code, wrong client credentials, …)."""


class People(Protocol):
    async def team_id(self) -> str | None:
        """The workspace the bot is installed in."""
        ...

    async def everyone(self) -> Mapping[str, Person]:
        """Workspace members by user id (cached; empty when Slack cannot be reached)."""
        ...

    async def sign_in(
        self, *, client_id: str, client_secret: str, code: str, redirect_uri: str
    ) -> SignedIn:
        """Trade a Sign in with Slack code for the person's identity, or raise SignInFailed."""
        ...


class NoSlack:
    """People when Slack is not configured: nobody is known and nobody can sign in with Slack."""

    async def team_id(self) -> str | None:
        return None

    async def everyone(self) -> Mapping[str, Person]:
        return {}

    async def sign_in(
        self, *, client_id: str, client_secret: str, code: str, redirect_uri: str
    ) -> SignedIn:
        raise SignInFailed("Slack is not configured")
