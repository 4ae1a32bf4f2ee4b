"""Block Kit for action items: the item's message with its buttons, and the won't-do modal."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.postmortem.store import ItemRecord
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.text import clip, esc, user
from bot.trackers.schemas import TrackerRef
from bot.vocabulary import ActionKind, ActionState, SyncState

KIND_LABEL = {
    ActionKind.EVAL_CASE: "Eval case",
    ActionKind.DETECTION: "Detection",
    ActionKind.GUARDRAIL: "Guardrail",
    ActionKind.RUNBOOK: "Runbook",
    ActionKind.PROMPT: "Prompt",
    ActionKind.OTHER: "Other",
}
STATE_LABEL = {
    ActionState.OPEN: "⚪ Open",
    ActionState.IN_PROGRESS: "🔵 In progress",
    ActionState.DONE: "✅ Done",
    ActionState.WONT_DO: "🚫 Won't do",
}
TEXT_MAX = 2500


class ItemMeta(BaseModel):
    """What the won't-do modal remembers: the item."""

    model_config = ConfigDict(frozen=True)

    item_id: int


def due_words(due: date, today: date) -> str:
    """Say when an item is due relative to today: 'in 3 days', 'today', '2 days overdue'."""
    days = (due - today).days
    if days == 0:
        return "due today"
    if days > 0:
        return f"due {due} (in {days} day{'s' if days != 1 else ''})"
    return f"due {due} (*{-days} day{'s' if days != -1 else ''} overdue*)"


def item_line(item: ItemRecord, today: date, *, with_incident: bool = True) -> str:
    """One line about an item for lists, digests and the Home."""
    where = f" · incident #{item.incident_number}" if with_incident else ""
    when = due_words(item.due, today) if item.state.is_active else STATE_LABEL[item.state]
    issue = f" · {tracker_words(item.tracker, short=True)}" if item.tracker else ""
    return (
        f"*#{item.id}* {KIND_LABEL[item.kind]}: {clip(esc(item.text), 200)} — "
        f"{user(item.owner_id)}, {when}{where}{issue}"
    )


def tracker_words(ref: TrackerRef, *, short: bool = False) -> str:
    """The item's tracker issue and whether it is in step, e.g. '<url|AIQ-12> ✓ in step'."""
    name = ref.kind.label
    issue = f"<{esc(ref.url)}|{esc(ref.key)}>" if ref.url and ref.key else f"{name} issue"
    if ref.sync is SyncState.SYNCED:
        return f"{name} {issue}" if short else f"🔗 {name} {issue} · in step"
    if ref.sync is SyncState.PENDING:
        return f"{name} {issue} ⏳ syncing" if ref.key else f"{name} ⏳ creating the issue"
    error = "" if short else f": {clip(esc(ref.error or ''), 300)}"
    if ref.sync is SyncState.RETRYING:
        return f"⚠️ {name} unreachable, retrying{error}"
    return f"❌ {name} refused the change{error}" + (
        "" if short else " (tried again on its next change)"
    )


def item_text(item: ItemRecord) -> str:
    """Fallback text of an item's message."""
    return f"Action item #{item.id} ({item.kind.value}): {clip(esc(item.text), 200)}"


def item_blocks(item: ItemRecord, today: date, *, section: str | None = None) -> list[Block]:
    """The item as a section with its facts, and the buttons its state allows."""
    suffix = f"{section}:{item.id}" if section else str(item.id)
    facts = (
        f"*Action item #{item.id}* · {KIND_LABEL[item.kind]} · {STATE_LABEL[item.state]}\n"
        f"{clip(esc(item.text), TEXT_MAX)}\n"
        f"Owner {user(item.owner_id)}"
        + (f" ({esc(item.team)})" if item.team else "")
        + f" · {due_words(item.due, today) if item.state.is_active else f'was due {item.due}'}"
        + f" · incident #{item.incident_number}"
    )
    blocks: list[Block] = [
        SectionBlock(block_id=f"{BlockId.ITEM}:{suffix}", text=MarkdownTextObject(text=facts))
    ]
    notes = [f"Won't do: {clip(esc(item.reason), 1900)}"] if item.reason else []
    notes += [tracker_words(item.tracker)] if item.tracker else []
    if notes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=n) for n in notes]))
    blocks.append(
        ActionsBlock(block_id=f"{BlockId.ITEM_ACTIONS}:{suffix}", elements=_buttons(item))
    )
    return blocks


def _buttons(item: ItemRecord) -> list[ButtonElement]:
    value = str(item.id)
    if not item.state.is_active:
        return [ButtonElement(text="Reopen", action_id=ActionId.ITEM_REOPEN, value=value)]
    buttons = []
    if item.state is ActionState.OPEN:
        buttons.append(ButtonElement(text="Start", action_id=ActionId.ITEM_START, value=value))
    buttons += [
        ButtonElement(text="Done", action_id=ActionId.ITEM_DONE, value=value, style="primary"),
        ButtonElement(text="Won't do", action_id=ActionId.ITEM_WONT_DO, value=value),
    ]
    return buttons


def wont_do_modal(item: ItemRecord, meta: ItemMeta, today: date) -> View:
    """Ask why an item won't be done."""
    return View(
        type="modal",
        callback_id=CallbackId.ITEM_WONT_DO,
        title="Won't do",
        submit="Save",
        close="Cancel",
        private_metadata=meta.model_dump_json(),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=item_line(item, today))),
            InputBlock(
                block_id=BlockId.ITEM_REASON,
                label="Why won't this be done?",
                element=PlainTextInputElement(
                    action_id=ActionId.ITEM_REASON,
                    multiline=True,
                    max_length=2000,
                    placeholder="e.g. covered by the eval suite added in #41",
                ),
            ),
        ],
    )
