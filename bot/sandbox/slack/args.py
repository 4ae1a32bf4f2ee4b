"""Typed reading of Web API arguments, which arrive as form strings or JSON values."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from bot.sandbox.slack.model import JSON, SlackError

T = TypeVar("T")


class Args:
    """The merged query, form and JSON arguments of one call."""

    def __init__(self, raw: JSON) -> None:
        self.raw = raw

    def text(self, name: str) -> str | None:
        """Return the argument as a string, or None when absent or empty."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def need(self, name: str, error: str = "invalid_arguments") -> str:
        """Return the argument as a string, raising `error` when it is missing."""
        value = self.text(name)
        if value is None:
            raise SlackError(error, response_metadata=_messages(f"missing required field: {name}"))
        return value

    def flag(self, name: str) -> bool:
        """Return the argument as a boolean (`true`, `1` and JSON true count)."""
        value = self.raw.get(name)
        return value is True or str(value).lower() in {"true", "1"}

    def number(self, name: str, default: int) -> int:
        """Return the argument as an int, or `default` when absent or not a number."""
        try:
            return int(self.raw.get(name, default))
        except (TypeError, ValueError):
            return default

    def real(self, name: str, default: float) -> float:
        """Return the argument as a float (such as a message ts), or `default`."""
        try:
            return float(self.raw.get(name) or default)
        except (TypeError, ValueError):
            return default

    def id_list(self, name: str) -> list[str]:
        """Return a comma-separated (or JSON list) argument as a list of ids."""
        value = self.raw.get(name)
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [part.strip() for part in str(value or "").split(",") if part.strip()]

    def blocks(self, name: str = "blocks") -> list[JSON] | None:
        """Return a list of Block Kit blocks, decoding a JSON string when needed."""
        value = self._decoded(name, "invalid_blocks_format")
        if value is None:
            return None
        if not isinstance(value, list):
            raise SlackError("invalid_blocks_format")
        return value

    def obj(self, name: str) -> JSON | None:
        """Return a JSON object argument (such as `view`), decoding a string when needed."""
        value = self._decoded(name, "invalid_arguments")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise SlackError("invalid_arguments", response_metadata=_messages(f"invalid {name}"))
        return value

    def _decoded(self, name: str, error: str) -> Any:
        value = self.raw.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise SlackError(error) from exc


def paginate(items: Sequence[T], args: Args, *, default_limit: int = 100) -> tuple[list[T], str]:
    """Return one page of `items` and the next cursor ('' on the last page)."""
    start = _cursor_offset(args.text("cursor"))
    limit = args.number("limit", default_limit)
    limit = min(limit, 1000) if limit > 0 else default_limit
    page = list(items[start : start + limit])
    more = start + limit < len(items)
    cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
    return page, cursor


def _cursor_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().removeprefix("offset:"))
    except ValueError as exc:
        raise SlackError("invalid_cursor") from exc


def _messages(*messages: str) -> JSON:
    return {"messages": [f"[ERROR] {m}" for m in messages]}
