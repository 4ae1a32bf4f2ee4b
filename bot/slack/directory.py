"""Workspace members and Sign in with Slack for the web pages (implements `bot.identity.People`)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.identity import Person, SignedIn, SignInFailed

log = logging.getLogger(__name__)
TTL_S = 300.0


class SlackPeople:
    """`users.list` cached for a few minutes, `auth.test` once, and the OpenID Connect methods."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._ttl_s, self._clock = ttl_s, clock
        self._people: dict[str, Person] = {}
        self._loaded_at: float | None = None
        self._team: str | None = None
        self._lock = asyncio.Lock()

    async def team_id(self) -> str | None:
        """The bot's workspace, from `auth.test` (None while Slack cannot be reached)."""
        if self._team is None:
            try:
                self._team = str((await self.client.auth_test())["team_id"])
            except SlackApiError:
                log.warning("auth.test failed; cannot tell which workspace may sign in")
        return self._team

    async def everyone(self) -> Mapping[str, Person]:
        """Members by id; the last good list (or none) when Slack fails."""
        async with self._lock:
            fresh = self._loaded_at is not None and self._clock() - self._loaded_at < self._ttl_s
            if not fresh:
                try:
                    self._people = await self._load()
                except SlackApiError:
                    log.warning("users.list failed; showing user ids", exc_info=True)
                self._loaded_at = self._clock()
        return self._people

    async def _load(self) -> dict[str, Person]:
        found: dict[str, Person] = {}
        cursor = None
        while True:
            resp = await self.client.users_list(limit=200, cursor=cursor)
            for member in resp.get("members") or []:
                profile = member.get("profile") or {}
                name = profile.get("real_name") or member.get("real_name") or member.get("name")
                found[member["id"]] = Person(
                    member["id"], str(name or member["id"]), member.get("tz")
                )
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found

    async def sign_in(
        self, *, client_id: str, client_secret: str, code: str, redirect_uri: str
    ) -> SignedIn:
        """`openid.connect.token`, then `openid.connect.userInfo` with the token it gave."""
        try:
            tokens = await self.client.openid_connect_token(
                client_id=client_id,
                client_secret=client_secret,
                code=code,
                redirect_uri=redirect_uri,
                grant_type="authorization_code",
            )
            user_client = AsyncWebClient(
                token=str(tokens["access_token"]), base_url=self.client.base_url, timeout=15
            )
            info = await user_client.openid_connect_userInfo()
        except SlackApiError as exc:
            raise SignInFailed(f"Slack refused the sign-in: {exc.response.get('error')}") from exc
        claims = _claims(str(tokens.get("id_token") or ""))
        user_id = str(info.get("https://slack.com/user_id") or "")
        if claims.get("https://slack.com/user_id") != user_id:
            raise SignInFailed("the id_token and userInfo name different people")
        return SignedIn(
            user_id=user_id,
            team_id=str(info.get("https://slack.com/team_id") or ""),
            name=str(info.get("name") or user_id),
            claims=claims,
        )


def _claims(id_token: str) -> dict[str, Any]:
    """The id_token's payload. It came straight from Slack over TLS, which vouches for it."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error) as exc:
        raise SignInFailed("Slack's id_token could not be read") from exc
    if not isinstance(claims, dict):
        raise SignInFailed("Slack's id_token could not be read")
    return claims
