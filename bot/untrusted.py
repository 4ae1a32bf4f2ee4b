"""Untrusted input made safe to store: text normalised alike on every database, bounded JSON.

PostgreSQL refuses NUL in text and jsonb, and no database should hold a lone UTF-16 surrogate
(it cannot be encoded back to UTF-8). Both are replaced with U+FFFD on the way in, so SQLite and
PostgreSQL store the same thing and neither fails on it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime

REPLACEMENT = "\ufffd"
MAX_JSON_DEPTH = 64
INT32_MAX = 2**31 - 1  # INTEGER columns on PostgreSQL
_BAD = re.compile("[\x00\ud800-\udfff]")
# A person in Slack markup: <@U123> or <@U123|name> (the stand-in's ids have underscores, U_ALICE).
MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9_]+)(?:\|[^>]*)?>")


class TooDeep(ValueError):
    """JSON nested deeper than MAX_JSON_DEPTH."""


def clean(text: str) -> str:
    """Replace NUL and lone surrogates with U+FFFD."""
    return _BAD.sub(REPLACEMENT, text) if _BAD.search(text) else text


def clean_json(value: Any) -> Any:
    """`clean` every string (keys too) of a parsed JSON value."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


def may_need_cleaning(raw: bytes) -> bool:
    """Whether a valid JSON text could hold NUL or a surrogate: only through a \\u escape."""
    return b"\\u" in raw


def form_may_need_cleaning(body: str) -> bool:
    """The same for a Slack request body: only a %00 or a \\u escape (in a form, or in the JSON
    of an interaction) can carry one."""
    return "%00" in body or "\\u" in body or "%5Cu" in body or "%5cu" in body


def could_be_deep(raw: bytes) -> bool:
    """Whether a JSON text has enough brackets to nest past the limit (a fast byte count)."""
    return raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise TooDeep when a parsed JSON value nests deeper than `limit` (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise TooDeep(f"JSON nested deeper than {limit} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))


def escape_markup(text: str) -> str:
    """Slack's escaping of &, < and > (for messages built below the Slack layer, e.g. usage)."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_utc(value: datetime) -> datetime:
    """An aware time from outside, in UTC; one UTC cannot hold (year 1 east of Greenwich, year
    9999 west of it) is refused as invalid input rather than failing later."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the dates UTC can hold") from None


UtcTime = Annotated[AwareDatetime, AfterValidator(as_utc)]  # a request field's time, in UTC
Text = Annotated[str, AfterValidator(clean)]  # a request's text (a query parameter), cleaned
