"""Render what Slack would show (messages and their Block Kit) as readable plain text."""

from __future__ import annotations

import re
from typing import Any

_MENTION = re.compile(r"<@([A-Z0-9_]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([A-Z0-9_]+)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")


class Names:
    """Turns user and channel ids into @names and #names."""

    def __init__(self, users: dict[str, str], channels: dict[str, str]) -> None:
        self.users, self.channels = users, channels

    def text(self, mrkdwn: str) -> str:
        """Resolve mentions, channel links, dates and links, then unescape."""
        out = _MENTION.sub(lambda m: "@" + self.users.get(m.group(1), m.group(1)), mrkdwn)
        out = _CHANNEL.sub(lambda m: "#" + self.channels.get(m.group(1), m.group(1)), out)
        out = _DATE.sub(lambda m: m.group(1), out)
        out = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", out)
        return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_blocks(blocks: list[dict[str, Any]], names: Names) -> list[str]:
    """One or more lines per block."""
    lines: list[str] = []
    for block in blocks:
        lines += _block(block, names)
    return lines


def _block(block: dict[str, Any], names: Names) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [f"== {block['text']['text']} =="]
    if kind == "divider":
        return ["----"]
    if kind == "actions":
        return ["  ".join(f"[{e.get('text', {}).get('text', '?')}]" for e in block["elements"])]
    if kind == "context":
        return [names.text(" ".join(e.get("text", "") for e in block["elements"]))]
    lines = [names.text(block["text"]["text"])] if block.get("text") else []
    fields = [names.text(f["text"]).replace("\n", ": ", 1) for f in block.get("fields", [])]
    if fields:
        lines.append(" | ".join(f.replace("\n", " ") for f in fields))
    accessory = block.get("accessory")
    if accessory and accessory.get("type") == "button":
        lines[-1:] = [f"{lines[-1] if lines else ''}  [{accessory['text']['text']}]"]
    return lines
