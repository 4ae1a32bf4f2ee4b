"""Block Kit for comms messages: the draft card, the kind chooser, reminders, published text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.comms.drafting import KIND_LABELS
from bot.comms.schemas import LintResult
from bot.comms.targets import Destination
from bot.flows.comms_delivery import Card, HistoryEntry, ReminderNotice
from bot.slack import button_value
from bot.slack.ids import ActionId, BlockId
from bot.slack.text import clip, esc, user, when
from bot.vocabulary import CommsKind, DeliveryState, DraftState, Obligation

SECTION_MAX = 3000
MAX_FINDINGS = 8
_CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9_]+$")
DELIVERY_ICON = {DeliveryState.PENDING: "⏳", DeliveryState.SENT: "✅", DeliveryState.FAILED: "❌"}


def open_comms_button(kind: CommsKind, label: str | None = None, suffix: str = "") -> ButtonElement:
    """A button that opens the comms form for `kind` (e.g. on a playbook step)."""
    action_id = f"{ActionId.OPEN_COMMS}:{suffix}" if suffix else ActionId.OPEN_COMMS.value
    return ButtonElement(
        text=clip(label or f"Draft {KIND_LABELS[kind].lower()}", 75),
        action_id=action_id,
        value=kind.value,
    )


def chooser_blocks() -> list[Block]:
    """The short chooser `/incident comms` shows when no kind is given."""
    buttons = [open_comms_button(kind, KIND_LABELS[kind], suffix=kind.value) for kind in CommsKind]
    buttons[1].style = "primary"  # the status update is what people want most often
    return [
        SectionBlock(text=MarkdownTextObject(text="*Which message do you want to draft?*")),
        ActionsBlock(block_id=BlockId.COMMS_CHOOSER, elements=buttons),
    ]


def chooser_text() -> str:
    """Fallback text for the chooser."""
    return "Which message do you want to draft? " + ", ".join(f"`{k.value}`" for k in CommsKind)


def message_sections(title: str, text: str) -> list[SectionBlock]:
    """The title in bold and the text, escaped and split to Slack's section limit."""
    body = f"*{esc(title)}*\n\n{esc(text)}"
    return [SectionBlock(text=MarkdownTextObject(text=part)) for part in _chunks(body)]


def _chunks(text: str) -> list[str]:
    parts: list[str] = []
    while len(text) > SECTION_MAX:
        cut = text.rfind("\n", 0, SECTION_MAX)
        cut = cut if cut > SECTION_MAX // 2 else SECTION_MAX
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text] if text else parts


def published_text(title: str, text: str) -> str:
    """Notification text of a message published to a Slack channel target (escaped too)."""
    return esc(f"{title}\n\n{text}")


def lint_blocks(result: LintResult) -> list[Block]:
    """Lint findings as context lines: blocking errors first, then wording warnings."""
    lines = [f"⛔ *Required:* {esc(e.message)}" for e in result.errors]
    lines += [f"⚠️ {esc(w.message)} — “{esc(clip(w.excerpt, 80))}”" for w in result.warnings]
    if not lines:
        return [ContextBlock(elements=[MarkdownTextObject(text="✅ Lint: nothing to fix.")])]
    shown = lines[:MAX_FINDINGS]
    if len(lines) > MAX_FINDINGS:
        shown.append(f"…and {len(lines) - MAX_FINDINGS} more")
    return [ContextBlock(elements=[MarkdownTextObject(text=line)]) for line in shown]


def card_blocks(card: Card) -> list[Block]:
    """The draft card in the incident channel: the text, lint, targets and the approve button."""
    if card.state is DraftState.PUBLISHED:
        return _published_card(card)
    head = (
        f"📝 *{KIND_LABELS[card.kind]}* draft v{card.version} · {card.audience.value} · "
        f"saved by {user(card.author)} {when(card.saved_at)}"
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=head))]
    blocks += message_sections(card.title, card.text)
    blocks += lint_blocks(card.lint)
    targets = where(card.targets) if card.targets else nowhere(card.kind)
    blocks.append(_context(f"Publishes to: {targets}"))
    blocks.append(ActionsBlock(block_id=BlockId.COMMS_ACTIONS, elements=_draft_buttons(card)))
    return blocks


def card_text(card: Card) -> str:
    """Fallback text for the card."""
    state = "published" if card.state is DraftState.PUBLISHED else "draft"
    return f"{KIND_LABELS[card.kind]} {state} v{card.version}: {esc(card.title)}"


def _draft_buttons(card: Card) -> list[ButtonElement]:
    confirm = ConfirmObject(
        title="Publish this?",
        text=clip(
            f"v{card.version} goes to {where(card.targets)} now."
            if card.targets
            else f"v{card.version} is recorded on the timeline; {nowhere(card.kind)}.",
            300,
        ),
        confirm="Publish",
        deny="Not yet",
    )
    return [
        ButtonElement(
            text="Approve & publish",
            action_id=ActionId.COMMS_APPROVE,
            value=button_value.encode(card.draft_id, card.version),
            style="primary",
            confirm=confirm,
        ),
        ButtonElement(text="Edit", action_id=ActionId.COMMS_EDIT, value=str(card.draft_id)),
        ButtonElement(text="History", action_id=ActionId.COMMS_HISTORY, value=str(card.draft_id)),
    ]


def _published_card(card: Card) -> list[Block]:
    assert card.published_by is not None and card.published_at is not None
    head = (
        f"✅ *{KIND_LABELS[card.kind]}* v{card.version} approved by {user(card.published_by)} "
        f"{when(card.published_at)}"
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=head))]
    blocks += message_sections(card.title, card.text)
    if card.override_reason:
        reason = esc(clip(card.override_reason, 500))
        blocks.append(_context(f"⛔ Published without required scope. Reason: {reason}"))
    blocks.append(_context(_deliveries(card)))
    buttons = [
        ButtonElement(text="History", action_id=ActionId.COMMS_HISTORY, value=str(card.draft_id))
    ]
    if any(d.state is DeliveryState.FAILED for d in card.deliveries):
        retry = ButtonElement(
            text="Retry failed", action_id=ActionId.COMMS_RETRY, value=str(card.draft_id)
        )
        buttons.insert(0, retry)
    blocks.append(ActionsBlock(block_id=BlockId.COMMS_ACTIONS, elements=buttons))
    return blocks


def _deliveries(card: Card) -> str:
    if not card.deliveries:
        return "No publish target takes this kind: it is recorded on the timeline only."
    parts = []
    for d in card.deliveries:
        error = f": {esc(clip(d.error, 200))}" if d.error else ""
        parts.append(f"{DELIVERY_ICON[d.state]} {_where(d.target)}{error}")
    return "   ".join(parts)


def where(destinations: Sequence[Destination]) -> str:
    """Destinations as mrkdwn: Slack channels as links, everything else escaped."""
    return ", ".join(_where(d) for d in destinations)


def _where(d: Destination) -> str:
    if d.channel and _CHANNEL_ID.match(d.channel):
        link = f"<#{d.channel}>"
        return f"{link} {esc(d.label)}" if d.label else link
    return esc(" ".join(part for part in (d.channel, d.label) if part))


def nowhere(kind: CommsKind) -> str:
    """Say that no target takes a kind, and where that is configured."""
    return (
        f"no status target takes `{kind.value}`, so approving records it on the timeline only "
        "(each target's `kinds` in `status_targets` decides)"
    )


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_MAX))])


def history_text(kind: CommsKind, entries: Sequence[HistoryEntry]) -> str:
    """The versions of a draft with what each changed, for one person to read."""
    lines = [f"*{KIND_LABELS[kind]}* — {len(entries)} version(s)"]
    for entry in entries:
        lines.append(f"• v{entry.version} by {user(entry.author)} {when(entry.at)}")
        if entry.diff:
            lines.append(f"```{esc(clip(entry.diff, 1200))}```")
    return clip("\n".join(lines), 3900)


_OBLIGATION_TEXT = {
    Obligation.UPDATE: "the next user update is due {due}",
    Obligation.LEGAL_LEADERSHIP: (
        "legal & leadership must hear about this safety incident by {due} "
        "(within an hour of it being declared)"
    ),
    Obligation.FOLLOW_UP: (
        "the follow-up to users (what we changed so this does not happen again) is due {due}"
    ),
}


def reminder_blocks(notice: ReminderNotice) -> list[Block]:
    """The channel reminder for a communication that is due, with a button to draft it."""
    kind = notice.obligation.kind
    return [
        SectionBlock(text=MarkdownTextObject(text=reminder_text(notice))),
        ActionsBlock(elements=[open_comms_button(kind, f"Draft {KIND_LABELS[kind].lower()}")]),
    ]


def reminder_text(notice: ReminderNotice) -> str:
    """The reminder line: who, what, by when."""
    who = [u for u in dict.fromkeys((notice.comms_lead, notice.commander)) if u]
    if notice.obligation is Obligation.UPDATE and notice.comms_lead:
        who = [notice.comms_lead]
    ping = " ".join(user(u) for u in who) if who else "Comms lead needed:"
    what = _OBLIGATION_TEXT[notice.obligation].format(due=when(notice.due_at))
    again = f" (reminder {notice.count})" if notice.count > 1 else ""
    return f"⏰ {ping} {what}{again}. `/incident comms {notice.obligation.kind.value}` drafts it."
