"""The App Home tab: the managers' view of action items (at most 100 blocks)."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.flows.action_items import HomeData
from bot.postmortem.store import ItemRecord
from bot.slack.blocks.followup import item_blocks
from bot.slack.text import esc

# Four sections of at most 7 items (2 blocks each, 3 with a won't-do reason or a tracker
# issue) stay within 100.
PER_SECTION = 7
MAX_BLOCKS = 100


def home_view(data: HomeData) -> View:
    """Build the Home tab: my items, my team's, overdue, recently done, each with buttons."""
    teams = ", ".join(esc(t) for t in data.teams) or "none configured"
    blocks: list[Block] = [
        HeaderBlock(text="Action items"),
        ContextBlock(
            elements=[MarkdownTextObject(text=f"As of {data.today} · your teams: {teams}")]
        ),
    ]
    sections = [
        ("mine", "🙋 My items", data.mine, "Nothing on your plate."),
        ("team", "👥 My team's", data.team, "Nothing open for your team."),
        ("overdue", "⏰ Overdue", data.overdue, "Nothing overdue. 🎉"),
        ("done", "✅ Recently done", data.done, "Nothing finished in the last two weeks."),
    ]
    for key, title, items, empty in sections:
        blocks += _section(key, title, items, empty, data)
    return View(type="home", blocks=blocks[:MAX_BLOCKS])


def _section(
    key: str, title: str, items: Sequence[ItemRecord], empty: str, data: HomeData
) -> list[Block]:
    blocks: list[Block] = [
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=f"*{title}* ({len(items)})")),
    ]
    if not items:
        return [*blocks, ContextBlock(elements=[MarkdownTextObject(text=empty)])]
    for item in items[:PER_SECTION]:
        blocks += item_blocks(item, data.today, section=key)
    if len(items) > PER_SECTION:
        more = f"…and {len(items) - PER_SECTION} more: `/incident actions` lists them all."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return blocks
