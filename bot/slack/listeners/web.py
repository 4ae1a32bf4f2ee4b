"""`/incident web`: a link that signs you in to the managers' web pages, only for you."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.errors import BadInput
from bot.flows import sign_in
from bot.slack.context import SlackContext
from bot.slack.subcommand import Invocation, Reply, Subcommand

USAGE = (
    "`/incident web` — a sign-in link to the web pages (action items, incidents, response times)"
)


async def web(ctx: SlackContext, call: Invocation) -> Reply:
    """Reply with a login link that works once, for a few minutes."""
    config = ctx.deps.config
    link = sign_in.login_link(
        settings=ctx.deps.settings, config=config, user_id=call.user_id, now=ctx.deps.clock()
    )
    minutes = config.web.login_link_minutes
    return (
        f"🔗 <{link}|Open the incident pages> — this link signs you in once and works for "
        f"{minutes} minutes. Don't share it: whoever opens it acts as you."
    )


def _check(rest: str, usage: str) -> object:
    if rest.strip():
        raise BadInput(f"Usage: {usage}")
    return None


SUBCOMMANDS: list[Subcommand] = [Subcommand("web", USAGE, web, _check)]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Nothing to listen for: the pages are served over HTTP."""
