"""What the demo prints: Slack's messages and their Block Kit as plain text, and the demo's clock.

A scene is a coroutine that acts on the stage and narrates into the transcript.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox.stage import Stage

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


Print = Callable[[str], None]


@dataclass
class Transcript:
    """Prints Slack activity once: new messages, and edits of pinned summaries."""

    stage: Stage
    out: Print
    clock: DemoClock
    seen: dict[tuple[str, str], int] = field(default_factory=dict)

    def names(self) -> Names:
        """Current user and channel names."""
        ws = self.stage.slack.workspace
        return Names(
            {u.id: u.name for u in ws.users.values()}, {c.id: c.name for c in ws.channels.values()}
        )

    def scene(self, title: str) -> None:
        """Start a scene; a title starting `HH:MM` (or `Next day`) moves the demo clock there."""
        self.clock.follow(title)
        self.out(f"\n### {title}")

    def say(self, line: str) -> None:
        """Narrate what a person or monitor does."""
        self.out(f"  > {line}")

    def flush(self) -> None:
        """Print messages posted or edited since the last flush."""
        names = self.names()
        for channel in self.stage.slack.workspace.channels.values():
            for message in self.stage.slack.messages(channel.id):
                key, version = (channel.id, message.ts), len(message.edits)
                if self.seen.get(key) == version:
                    continue
                edited = key in self.seen
                self.seen[key] = version
                where = self._where(channel.name, channel.is_im, channel.members, names)
                self._print_message(where, message.text, message.blocks, names, edited)
        for ephemeral in self.stage.slack.ephemerals():
            key = ("ephemeral", f"{ephemeral.message_ts}")
            if key not in self.seen:
                self.seen[key] = 0
                who = names.users.get(ephemeral.user, ephemeral.user)
                self.out(f"  (only @{who} sees) {names.text(ephemeral.text)}")
        for response in self.stage.slack.responses():
            key = ("response", response.response_id + str(response.at))
            if key not in self.seen:
                self.seen[key] = 0
                self.out(f"  (reply) {names.text(str(response.body.get('text', '')))}")

    def _where(self, name: str, is_im: bool, members: list[str], names: Names) -> str:
        if not is_im:
            return f"#{name}"
        person = next((m for m in members if m != self.stage.slack.bot_user_id), "?")
        return f"DM to @{names.users.get(person, person)}"

    def _print_message(
        self, where: str, text: str, blocks: list[dict[str, object]], names: Names, edited: bool
    ) -> None:
        label = "updated" if edited else "posted"
        lines = render_blocks(blocks, names) if blocks else [names.text(text)]
        self.out(f"  [{where}] bot {label}:")
        for line in lines:
            for part in line.splitlines():
                self.out(f"      {part}")


Scene = Callable[[Stage, Transcript], Awaitable[None]]
DEMO_DAY = datetime(2026, 11, 23, tzinfo=UTC)  # the day the demo's alert and change carry


class DemoClock:
    """The time the demo's people and monitors act at; queued work falls due against it."""

    def __init__(self) -> None:
        self.now = DEMO_DAY.replace(hour=2, minute=30)

    def __call__(self) -> datetime:
        return self.now

    def follow(self, title: str) -> None:
        """Move to the scene's time; never backwards, so work already due stays due."""
        if match := re.match(r"(\d\d):(\d\d) ", title):
            hour, minute = int(match.group(1)), int(match.group(2))
            at = self.now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            self.now = max(self.now, at)
        elif title.startswith("Next day"):
            self.now = (self.now + timedelta(days=1)).replace(hour=10, minute=0)
        self.now += timedelta(seconds=1)
