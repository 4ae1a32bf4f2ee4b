"""Block Kit for the playbook: one message per phase with Done / Skip and containment buttons."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.containment import catalog
from bot.flows.playbook import PhaseView
from bot.flows.playbook_nudges import Nudge
from bot.playbook.schemas import Phase, Step
from bot.playbook.store import StepRecord
from bot.slack import button_value
from bot.slack.ids import ActionId, BlockId
from bot.slack.text import clip, esc, user, when
from bot.vocabulary import StepState

# Two blocks per step plus a header, a context and a note stay within 50 blocks per message.
MAX_STEPS = 23
STATE_ICON = {StepState.DONE: "✅", StepState.SKIPPED: "⏭️"}
FIRST_GENERATION = 1


def time_box(phase: Phase) -> str:
    """The phase's time box as responders say it: '0–15 min', '1–4 h', '24–72 h'."""
    start, end = phase.starts_after_min, phase.due_after_min
    if end <= 60:
        return f"{start}–{end} min"
    return f"{start / 60:g}–{end / 60:g} h"


def phase_text(view: PhaseView) -> str:
    """Plain fallback text of a phase message."""
    phase = f"{view.phase.name} ({time_box(view.phase)})"
    return f"#{view.number} {view.playbook_title} playbook — {phase}"


def phase_blocks(view: PhaseView) -> list[Block]:
    """A phase as a checklist: each step with its owner, state and buttons."""
    header = HeaderBlock(text=clip(f"{view.phase.name} · {time_box(view.phase)}", 150))
    if view.replaced_by is not None:
        note = (
            f"_This {esc(view.playbook_title)} checklist was replaced by the "
            f"{view.replaced_by.label} playbook when the incident type changed; "
            "use the checklist posted after it._"
        )
        return [header, SectionBlock(text=MarkdownTextObject(text=note))]
    blocks: list[Block] = [header, ContextBlock(elements=[MarkdownTextObject(text=_context(view))])]
    for step in view.phase.steps[:MAX_STEPS]:
        blocks += _step_blocks(view, step)
    hidden = len(view.phase.steps) - MAX_STEPS
    if hidden > 0:
        more = f"_{hidden} more steps are not shown; Slack allows 50 blocks per message._"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return blocks


def _context(view: PhaseView) -> str:
    ids = [step.id for step in view.phase.steps]
    closed = sum(1 for step_id in ids if step_id in view.steps)
    return (
        f"#{view.number} · {esc(view.playbook_title)} playbook · phase {view.position + 1} of "
        f"{view.phase_count} · due {when(view.due_at)} · {closed}/{len(ids)} closed"
    )


def _step_blocks(view: PhaseView, step: Step) -> list[Block]:
    record = view.steps.get(step.id)
    text = _closed_text(step, record) if record else _open_text(step)
    buttons = _step_buttons(view, step, record)
    return [
        SectionBlock(
            block_id=f"{BlockId.STEP_TEXT}:{step.id}",
            text=MarkdownTextObject(text=clip(text, 3000)),
        ),
        ActionsBlock(block_id=f"{BlockId.STEP_ACTIONS}:{step.id}", elements=buttons),
    ]


def _open_text(step: Step) -> str:
    # The role, not its holder: roles change hands and this message is edited only on clicks.
    extras = [f"_Owner: {step.owner.value}_"]
    if step.done_when:
        extras.append(f"_Done when:_ {esc(step.done_when)}")
    if step.comms:
        extras.append(f"_Comms:_ `{step.comms.value}` template")
    return f"⬜ {esc(step.text)}\n" + " · ".join(extras)


def _closed_text(step: Step, record: StepRecord) -> str:
    who = user(record.by) if record.by.startswith(("U", "W")) else esc(record.by)
    return (
        f"{STATE_ICON[record.state]} {esc(step.text)}\n"
        f"_{record.state.verb} by {who} {when(record.at)}_"
    )


def _step_buttons(view: PhaseView, step: Step, record: StepRecord | None) -> list[ButtonElement]:
    value = button_value.encode(view.incident_id, step.id)
    if record is None:
        buttons = [
            ButtonElement(text="Done", action_id=ActionId.STEP_DONE, value=value, style="primary"),
            ButtonElement(text="Skip", action_id=ActionId.STEP_SKIP, value=value),
        ]
    else:
        buttons = [ButtonElement(text="Reopen", action_id=ActionId.STEP_REOPEN, value=value)]
    if step.action:
        buttons.append(containment_button(view.incident_id, step.action, FIRST_GENERATION))
    return buttons


def containment_button(
    incident_id: int, action_key: str, generation: int, label: str | None = None
) -> ButtonElement:
    """The button that opens the confirm dialog of a containment action."""
    return ButtonElement(
        text=label or f"⚡ {catalog.get(action_key).title}",
        action_id=ActionId.CONTAINMENT_RUN,
        value=button_value.encode(incident_id, action_key, generation),
        style="danger",
    )


def nudge_text(nudge: Nudge) -> str:
    """Tell the owners of a late phase's open steps, by mention."""
    lines = [
        f"⏰ *{nudge.phase.name}* was due {when(nudge.due_at)} and "
        f"{len(nudge.open_steps)} of its steps are still open:"
    ]
    for item in nudge.open_steps[:15]:
        role = item.step.owner.value
        who = f"<@{item.holder}> ({role})" if item.holder else f"{role} (nobody holds it yet)"
        lines.append(f"• {who}: {esc(clip(item.step.text, 150))}")
    lines.append("Mark each step *Done* or *Skip* on the checklist above.")
    return "\n".join(lines)


def shows(blocks: list[Block], view: PhaseView) -> bool:
    """Whether these phase blocks already show the view's state."""
    return [b.to_dict() for b in blocks] == [b.to_dict() for b in phase_blocks(view)]
