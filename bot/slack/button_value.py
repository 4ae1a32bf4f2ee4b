"""What a button carries: its parts (ids, keys) joined by ':', encoded and decoded only here."""

from __future__ import annotations

SEPARATOR = ":"


def encode(*parts: object) -> str:
    """Join a button's parts into its value, e.g. encode(12, "commander") == "12:commander"."""
    return SEPARATOR.join(str(part) for part in parts)


def decode(value: object, parts: int) -> list[str]:
    """Split a button value into exactly `parts` pieces (the last keeps any ':'), or ValueError."""
    pieces = str(value).split(SEPARATOR, parts - 1)
    if len(pieces) != parts:
        raise ValueError(f"malformed button value {value!r}")
    return pieces
