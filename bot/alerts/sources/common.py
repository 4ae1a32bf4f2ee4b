"""Typed readers for decoded JSON that name the offending field in every BadInput."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.alerts.schemas import Link
from bot.errors import BadInput
from bot.shapes import as_object as as_object
from bot.shapes import opt_object as opt_object
from bot.shapes import path_of as path_of
from bot.shapes import type_name as type_name
from bot.vocabulary import AlertStatus

TITLE_MAX = 300
DESCRIPTION_MAX = 4000
_EPOCH_MS = re.compile(r"[0-9]{1,17}")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def req_object(obj: dict[str, Any], key: str, parent: str = "") -> dict[str, Any]:
    """Return the required object at `obj[key]`."""
    if obj.get(key) is None:
        raise BadInput("is required", field=path_of(parent, key))
    return as_object(obj[key], path_of(parent, key))


def req_list(obj: dict[str, Any], key: str, parent: str = "") -> list[Any]:
    """Return the required, non-empty array at `obj[key]`."""
    value, path = obj.get(key), path_of(parent, key)
    if value is None:
        raise BadInput("is required", field=path)
    if not isinstance(value, list):
        raise BadInput(f"expected an array, got {type_name(value)}", field=path)
    if not value:
        raise BadInput("carries no alerts", field=path)
    return value


def opt_str(obj: dict[str, Any], key: str, parent: str = "") -> str | None:
    """Return the string at `obj[key]`; None when missing, null or blank."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(f"expected a string, got {type_name(value)}", field=path_of(parent, key))
    return value if value.strip() else None


def req_str(obj: dict[str, Any], key: str, parent: str = "") -> str:
    """Return the required, non-blank string at `obj[key]`."""
    value = opt_str(obj, key, parent)
    if value is None:
        raise BadInput("is required", field=path_of(parent, key))
    return value


def opt_id(obj: dict[str, Any], key: str, parent: str = "") -> str | None:
    """Return an identifier that may be sent as a string or an integer."""
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return opt_str(obj, key, parent)


def req_id(obj: dict[str, Any], key: str, parent: str = "") -> str:
    """Return the required identifier at `obj[key]`, sent as a string or an integer."""
    value = opt_id(obj, key, parent)
    if value is None:
        raise BadInput("is required", field=path_of(parent, key))
    return value


def label_value(value: Any) -> str:
    """Coerce a decoded JSON value to a label string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def labels_at(obj: dict[str, Any], key: str, parent: str = "") -> dict[str, str]:
    """Return the label map at `obj[key]` with values coerced to strings."""
    return {k: label_value(v) for k, v in opt_object(obj, key, parent).items()}


def number(value: Any, path: str) -> float:
    """Return a finite float for a JSON number, or raise BadInput naming `path`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInput(f"expected a number, got {type_name(value)}", field=path)
    try:
        result = float(value)
    except OverflowError:
        raise BadInput("number is out of range", field=path) from None
    if not math.isfinite(result):
        raise BadInput("number must be finite", field=path)
    return result


def values_at(obj: dict[str, Any], key: str, parent: str = "") -> dict[str, float]:
    """Return the name → number map at `obj[key]`, skipping null entries."""
    found = opt_object(obj, key, parent)
    path = path_of(parent, key)
    return {k: number(v, path_of(path, k)) for k, v in found.items() if v is not None}


def timestamp(obj: dict[str, Any], key: str, parent: str = "") -> datetime | None:
    """Return the ISO 8601 time at `obj[key]` in UTC; None when missing or Go's zero time."""
    text = opt_str(obj, key, parent)
    if text is None:
        return None
    return parse_iso(text, path_of(parent, key))


def parse_iso(text: str, path: str) -> datetime | None:
    """Parse an ISO 8601 string to aware UTC (naive means UTC); year 1 means no time."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"not an ISO 8601 time: {text[:40]!r}", field=path) from None
    if parsed.year == 1:
        return None
    return to_utc(parsed, path)


def to_utc(moment: datetime, path: str) -> datetime:
    """Return `moment` as aware UTC, assuming UTC when it is naive."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadInput("time is out of range", field=path) from None


def epoch_ms(value: Any, path: str) -> datetime | None:
    """Return a time from epoch milliseconds (number or digit string) or an ISO string."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and not _EPOCH_MS.fullmatch(value.strip()):
        return parse_iso(value, path)
    millis = number(int(value) if isinstance(value, str) else value, path)
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise BadInput("time is out of range", field=path) from None


def status_of(value: str | None, path: str) -> AlertStatus:
    """Return the alert status named by `value` (`firing` or `resolved`)."""
    if value is None:
        raise BadInput("is required", field=path)
    try:
        return AlertStatus(value.strip().lower())
    except ValueError:
        raise BadInput(f"expected 'firing' or 'resolved', got {value[:40]!r}", field=path) from None


def link(title: str, url: str | None) -> list[Link]:
    """Return a one-item list holding the link when `url` looks like an http(s) URL."""
    if url is None or not _URL.fullmatch(url.strip()):
        return []
    return [Link(title=title, url=url.strip())]


def unique_links(found: Iterable[Link]) -> tuple[Link, ...]:
    """Return the links in order, dropping any that repeat an earlier URL."""
    by_url: dict[str, Link] = {}
    for item in found:
        by_url.setdefault(item.url, item)
    return tuple(by_url.values())


def title_text(text: str) -> str:
    """Return a title stripped and cut to the maximum length."""
    return clip(text.strip(), TITLE_MAX)


def description_text(text: str | None) -> str:
    """Return a description cut to the maximum length."""
    return clip(text or "", DESCRIPTION_MAX)


def clip(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def occurrence_id(key: str, starts_at: datetime | None) -> str:
    """Return an id for one occurrence of the problem `key`: the key plus its start time."""
    return f"{key}@{starts_at.isoformat()}" if starts_at else key


def stable_hash(*parts: Any) -> str:
    """Return a short hex digest of JSON-encodable parts, independent of dict order."""
    encoded = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()[:32]
