"""Helpers for the web-page tests: point the config at the running bot, sign in by login link."""

from __future__ import annotations

import re

import httpx

from bot.config import Web
from bot.sandbox.stage import Stage
from tests.support.followup import replies

LINK = re.compile(r"<(http[^|>]+/ui/login/link\?token=[^|>]+)\|")


def serve_pages(stage: Stage, **web: object) -> str:
    """Give the config the bot's URL (for links and Sign in with Slack); returns that URL."""
    url = str(stage.http.base_url).rstrip("/")
    stage.deps.config = stage.deps.config.model_copy(
        update={"web": Web.model_validate({"public_url": url, **web})}
    )
    return url


async def login_link(stage: Stage, user: str) -> str:
    """Type `/incident web` as `user` and return the link the bot sent only to them."""
    before = len(replies(stage))
    assert (await stage.command("web", user=user)).status_code == 200
    await stage.eventually(lambda: len(replies(stage)) > before)
    found = LINK.search(replies(stage)[-1])
    assert found, replies(stage)[-1]
    return found.group(1)


async def signed_in(stage: Stage, user: str) -> httpx.AsyncClient:
    """A browser-like client signed in as `user` through a login link."""
    link = await login_link(stage, user)
    client = httpx.AsyncClient(base_url=stage.http.base_url, timeout=30)
    page = await client.get(link)
    assert page.status_code == 200 and "Sign in as" in page.text, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    done = await client.post("/ui/login/link", data={"token": token.group(1)})
    assert done.status_code == 303 and done.headers["location"] == "/ui/", done.text
    return client


def csrf(page: str) -> str:
    """The CSRF token of a rendered page."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)
