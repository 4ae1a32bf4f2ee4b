"""Web sign-in: a login link works once, and only until it expires."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot import websession
from bot.config import Config
from bot.db import insert_or_skip
from bot.errors import BadInput
from bot.identity import SignInFailed
from bot.models import LoginLink
from bot.settings import Settings


async def redeem_link(
    *, session: AsyncSession, nonce: str, user_id: str, expires_at: datetime, now: datetime
) -> None:
    """Use up a login link, or raise SignInFailed when it was used before or has expired."""
    if expires_at <= now:
        raise SignInFailed("This login link has expired; type `/incident web` for a new one.")
    await session.execute(delete(LoginLink).where(LoginLink.expires_at < now))
    values = {"nonce": nonce, "user_id": user_id, "used_at": now, "expires_at": expires_at}
    if await insert_or_skip(session, LoginLink, values) is None:
        raise SignInFailed("This login link was used already; type `/incident web` for a new one.")


def login_link(*, settings: Settings, config: Config, user_id: str, now: datetime) -> str:
    """A URL that signs `user_id` in to the web pages once, within the configured minutes."""
    key = websession.secret_key(settings)
    if config.web.public_url is None or key is None:
        raise BadInput(
            "the web pages are not set up: the config needs `web.public_url` "
            "(and the bot a signing secret); ask whoever runs the bot"
        )
    token = websession.Signer(key).login_link(user_id, now, config.web.login_link_minutes)
    return f"{config.web.public_url}/ui/login/link?{urlencode({'token': token})}"
