"""Calls to outside APIs made by queued work (trackers, pagers): what a failure means.

A lost connection, a 429 or a 5xx is an outage: `RetryLater(keep_trying=True)`, so the work waits
(for the Retry-After the remote gave, else the worker's backoff) and is never given up. Any other
4xx is a refusal that trying again will not change: `Refused`, shown on what it was for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from bot.errors import BotError, RetryLater

EXCERPT = 300


class Refused(BotError):
    """The remote refused the request for good (4xx other than 429); the message says why."""


async def call(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    what: str,
    secrets: tuple[str, ...] = (),
    **kwargs: Any,
) -> httpx.Response:
    """Make one request; return a 2xx response, else raise RetryLater or Refused."""
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        message = scrub(f"{what} unreachable: {type(exc).__name__}: {exc}", secrets)
        raise RetryLater(message, keep_trying=True) from exc
    if response.status_code == 429 or response.status_code >= 500:
        message = scrub(f"{what}: {_status(response)}", secrets)
        raise RetryLater(message, retry_after(response), keep_trying=True)
    if not response.is_success:
        raise Refused(scrub(f"{what}: {_status(response)}", secrets))
    return response


def _status(response: httpx.Response) -> str:
    excerpt = response.text.strip().replace("\n", " ")[:EXCERPT]
    return f"HTTP {response.status_code} {response.reason_phrase}: {excerpt}".rstrip(": ")


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a `Retry-After` header asks for (capped at an hour), if it gives a number."""
    value = response.headers.get("retry-after", "")
    try:
        return min(max(float(value), 0.0), 3600.0)
    except ValueError:
        return None


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in a message with `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    """The response body as a JSON object; an answer that is not one is treated as an outage."""
    try:
        data = response.json()
    except ValueError as exc:
        raise RetryLater(f"{what}: the answer is not JSON", keep_trying=True) from exc
    if not isinstance(data, dict):
        raise RetryLater(f"{what}: the answer is not a JSON object", keep_trying=True)
    return data


def need_env(env: Mapping[str, str], name: str) -> str:
    """A credential from the environment; Refused naming the variable when it is not set."""
    value = env.get(name)
    if not value:
        raise Refused(f"the environment variable {name} is not set")
    return value
