"""Read a submitted view's state (Slack's `view.state.values`): one reader for every modal."""

from __future__ import annotations

from typing import Any


def values(view: dict[str, Any]) -> dict[str, str]:
    """Return {action_id: value} for the text inputs and selects of a view's state."""
    flat: dict[str, str] = {}
    for block in view.get("state", {}).get("values", {}).values():
        for action_id, element in block.items():
            selected = element.get("selected_option")
            flat[action_id] = selected["value"] if selected else (element.get("value") or "")
    return flat


def text(view: dict[str, Any], action_id: str) -> str:
    """Return one input's text, stripped ("" when it is empty or missing)."""
    return values(view).get(action_id, "").strip()
