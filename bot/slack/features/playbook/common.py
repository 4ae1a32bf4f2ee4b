"""What the playbook feature's listeners and work share."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

from bot import due
from bot.jobs import Handler, RetryLater


def slack_retries(handler: Callable[[due.Claimed], Awaitable[None]]) -> Handler:
    """Turn Slack's temporary failures into RetryLater, honouring Retry-After."""

    @functools.wraps(handler)
    async def wrapped(item: due.Claimed) -> None:
        try:
            await handler(item)
        except SlackApiError as exc:
            retry_after = exc.response.headers.get("Retry-After") if exc.response else None
            error = exc.response.get("error") if exc.response else str(exc)
            raise RetryLater(
                f"Slack: {error}", float(retry_after) if retry_after else None
            ) from exc
        except (ClientError, TimeoutError) as exc:
            raise RetryLater(f"Slack unreachable: {exc!r}") from exc

    return wrapped


def split_value(value: str, parts: int) -> list[str]:
    """Split a button value `a:b:c` into exactly `parts` pieces."""
    pieces = value.split(":", parts - 1)
    if len(pieces) != parts:
        raise ValueError(f"malformed button value {value!r}")
    return pieces
