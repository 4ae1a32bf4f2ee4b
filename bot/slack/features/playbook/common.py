"""What the playbook feature's listeners and work share."""

from __future__ import annotations


def split_value(value: str, parts: int) -> list[str]:
    """Split a button value `a:b:c` into exactly `parts` pieces."""
    pieces = value.split(":", parts - 1)
    if len(pieces) != parts:
        raise ValueError(f"malformed button value {value!r}")
    return pieces
