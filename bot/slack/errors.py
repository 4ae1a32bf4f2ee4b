"""Turning errors into a clear ephemeral message, for the app's error handler and for listeners.

A listener must not raise after it has acked: bolt's asyncio runner then resets the ack it
already recorded, and if that happens within its 10 ms polling window Slack gets no answer and
shows the user a failure after 3 s. `guarded` listeners report their own errors instead.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BotError

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
    if respond is not None:
        await respond(text=text, response_type="ephemeral", replace_original=False)
        return
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    if client is not None and user and channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError:
            log.warning("could not tell %s in %s: %s", user, channel, text)


# bolt names the request's payload after its kind; a listener may ask for it by any of these.
_PAYLOAD_NAMES = ("payload", "action", "view", "command", "event", "shortcut", "options")
_SUPPLIED = ("ack", "body", "respond", "client", "context", *_PAYLOAD_NAMES)


def guarded(listener: Listener) -> Listener:
    """Wrap a listener so its errors are reported to the person instead of raised to bolt."""
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
        except Exception as exc:  # reported to the person; never raised after the ack
            await report(exc, body, respond, client)

    wrapper.__name__ = wrapper.__qualname__ = listener.__name__
    return wrapper  # type: ignore[return-value]
