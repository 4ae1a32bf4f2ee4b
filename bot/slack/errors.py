"""Turning errors into a clear ephemeral message, for the app's error handler and for listeners.

The work part of a request runs queued, in the worker (see `listening`). `guarded` work reports
its own errors to the person, except a passing failure (the database or Slack briefly
unavailable): that one is raised, so the worker runs the work again later; on the last try it is
reported too, so nothing a person asked for fails without them being told.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import ClientError
from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.errors import BotError, RetryLater

log = logging.getLogger(__name__)
Listener = TypeVar("Listener", bound=Callable[..., Awaitable[None]])


def message_for(error: Exception) -> str:
    """What the person sees: our error's own words, or an apology for anything else."""
    if isinstance(error, BotError):
        return f"⚠️ {error}"
    log.error("Slack listener failed", exc_info=error)
    return "⚠️ Something went wrong on our side and nothing was changed. Please try again."


async def report(
    error: Exception,
    body: dict[str, Any],
    respond: AsyncRespond | None = None,
    client: AsyncWebClient | None = None,
) -> None:
    """Tell the person who acted, ephemerally, what went wrong."""
    text = message_for(error)
    if respond is not None and respond.response_url:  # events carry none
        await respond(text=text, response_type="ephemeral", replace_original=False)
        return
    user = _id(body, "user")
    channel = _id(body, "channel")
    if client is not None and user and channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError:
            log.warning("could not tell %s in %s: %s", user, channel, text)


def _id(body: dict[str, Any], name: str) -> str | None:
    """`body[name].id` or `body[name_id]`, when a string (the body may be any shape)."""
    nested = body.get(name)
    found = nested.get("id") if isinstance(nested, dict) else body.get(f"{name}_id")
    return found if isinstance(found, str) else None


_PASSING = (RetryLater, OperationalError, PoolTimeout, ClientError, TimeoutError)
LAST_TRY = "last_try"  # context key: the worker will not run this work again after a failure


def passing(error: Exception) -> bool:
    """A failure that running the work again later may not meet."""
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        return status == 429 or status >= 500
    return isinstance(
        error, RetryLater | OperationalError | PoolTimeout | ClientError | TimeoutError
    )


# bolt names the request's payload after its kind; a listener may ask for it by any of these.
_PAYLOAD_NAMES = ("payload", "action", "view", "command", "event", "shortcut", "options")
_SUPPLIED = ("ack", "body", "respond", "client", "context", *_PAYLOAD_NAMES)


def guarded(listener: Listener) -> Listener:
    """Wrap a listener so its errors are reported to the person (passing ones retried first)."""
    wanted = inspect.getfullargspec(listener).args
    unknown = set(wanted) - set(_SUPPLIED)
    if unknown:
        raise TypeError(
            f"{listener.__name__} asks for {sorted(unknown)}; guarded supplies {_SUPPLIED}"
        )

    async def wrapper(
        ack: Any,
        body: dict[str, Any],
        payload: Any,
        respond: AsyncRespond | None,
        client: AsyncWebClient,
        context: Any,
    ) -> None:
        supplied = {
            "ack": ack,
            "body": body,
            "respond": respond,
            "client": client,
            "context": context,
            **dict.fromkeys(_PAYLOAD_NAMES, payload),
        }
        try:
            await listener(**{name: supplied[name] for name in wanted})
        except Exception as exc:
            if passing(exc) and not context.get(LAST_TRY):
                raise  # the worker runs it again later
            await report(exc, body, respond, client)

    wrapper.__name__ = wrapper.__qualname__ = listener.__name__
    return wrapper  # type: ignore[return-value]
