"""Reading decoded JSON of any shape: each reader names the offending field in its BadInput."""

from __future__ import annotations

from typing import Any

from bot.errors import BadInput


def path_of(parent: str, key: str | int) -> str:
    """Return the dotted path of `key` under `parent`, e.g. `alerts[0].labels`."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def type_name(value: Any) -> str:
    """Return the JSON name of a decoded value's type, for error messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def as_object(value: Any, path: str) -> dict[str, Any]:
    """Return `value` as a JSON object or raise BadInput naming `path`."""
    if not isinstance(value, dict):
        message = f"expected a JSON object, got {type_name(value)}"
        raise BadInput(message, field=path or None)
    return value


def opt_object(obj: dict[str, Any], key: str, parent: str = "") -> dict[str, Any]:
    """Return the object at `obj[key]`, or an empty one when missing or null."""
    if obj.get(key) is None:
        return {}
    return as_object(obj[key], path_of(parent, key))


def opt_list(obj: dict[str, Any], key: str, parent: str = "") -> list[Any]:
    """Return the array at `obj[key]`, or an empty one when missing or null."""
    value, path = obj.get(key), path_of(parent, key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput(f"expected an array, got {type_name(value)}", field=path)
    return value
