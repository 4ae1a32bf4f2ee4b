"""The comms form: the draft text, whose words it is, its lint, the scope fields, Preview and
Re-draft; and the override."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.comms.drafting import KIND_LABELS
from bot.comms.provenance import Parts
from bot.comms.schemas import LintFinding, Scope, StatusPageStatus
from bot.flows.comms import Editing
from bot.slack.blocks.comms import lint_blocks, nowhere, where
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.text import clip, esc, user, when
from bot.templating import zone
from bot.vocabulary import CommsKind

TIME_FORMAT = "%Y-%m-%d %H:%M"
TEXT_MAX = 3000
MAX_QUOTED = 3
# label, hint (placeholder)
FIELDS: dict[str, tuple[str, str]] = {
    "feature": ("Affected feature", "as users know it, e.g. Support assistant"),
    "what_happened": ("What went wrong", "what users saw, in their words"),
    "window_start": ("Affected since", "YYYY-MM-DD HH:MM in the time zone below"),
    "window_end": ("Affected until", "YYYY-MM-DD HH:MM; leave empty while ongoing"),
    "timezone": ("Time zone", "IANA name, e.g. Europe/Berlin"),
    "segment": ("Who is affected", "e.g. Support assistant users on the EU workspace"),
    "affected_count": ("How many users", "a number, if known"),
    "user_action": ("What users should do", "or: No action is needed."),
    "actions_taken": ("What we have done", "so far, in user terms"),
    "next_update_at": ("Next update by", "YYYY-MM-DD HH:MM"),
    "status_page_status": ("Status page status", ""),
    "prevention": ("What we changed to prevent a repeat", ""),
    "lead": ("Who leads the response", "e.g. Dana Ruiz (incident commander)"),
}
MULTILINE = frozenset({"what_happened", "user_action", "actions_taken", "prevention"})
REQUIRED_INPUTS = frozenset({"window_start", "timezone"})
STATUS_LABELS = {
    StatusPageStatus.INVESTIGATING: "Investigating",
    StatusPageStatus.IDENTIFIED: "Identified",
    StatusPageStatus.MONITORING: "Monitoring",
    StatusPageStatus.RESOLVED: "Resolved",
}


class CommsMeta(BaseModel):
    """What the comms form remembers between opening, previews and saving."""

    model_config = ConfigDict(frozen=True)

    incident_id: int
    channel_id: str
    kind: CommsKind
    draft_id: int | None = None
    version: int = 0  # the saved version the form was opened from (0: none)
    rev: int = 0  # bumped by each preview so the text inputs take the new text
    # Fingerprint of the rendering the drafted lines came from; empty: every line is theirs.
    base: tuple[str, ...] = ()


class OverrideMeta(BaseModel):
    """What the override form remembers."""

    model_config = ConfigDict(frozen=True)

    draft_id: int
    version: int
    channel_id: str


def title_block_id(rev: int) -> str:
    """Block id of the title input at a revision."""
    return f"{BlockId.COMMS_TITLE}:{rev}"


def text_block_id(rev: int) -> str:
    """Block id of the text input at a revision."""
    return f"{BlockId.COMMS_TEXT}:{rev}"


def field_block_id(name: str) -> str:
    """Block id of a scope field's input."""
    return f"{BlockId.COMMS_FIELD}:{name}"


def field_action_id(name: str) -> str:
    """Action id of a scope field's input."""
    return f"{ActionId.COMMS_FIELD}:{name}"


def loading_modal(kind: CommsKind) -> View:
    """Opened at once (trigger ids expire in 3 s) and replaced when the draft is ready."""
    text = f"Drafting the {KIND_LABELS[kind].lower()} from what we know…"
    return View(
        type="modal",
        title=KIND_LABELS[kind],
        close="Cancel",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )


def draft_modal(meta: CommsMeta, editing: Editing, notice: str | None = None) -> View:
    """The comms form for a draft: text with its lint, then the scope fields and Preview."""
    draft = editing.composed.draft
    blocks: list[Block] = [_about(editing)]
    if notice:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"⚠️ {esc(notice)}")))
    blocks += [
        _text_input(title_block_id(meta.rev), ActionId.COMMS_TITLE, "Title", draft.title, False),
        _text_input(text_block_id(meta.rev), ActionId.COMMS_TEXT, "Message", draft.text, True),
        *whose_words(editing.parts, editing.kept),
        *lint_blocks(editing.composed.lint),
        DividerBlock(),
        SectionBlock(
            text=MarkdownTextObject(
                text="*Scope* — the facts the message is drafted from. *Preview* and *Save* "
                "rewrite the lines still as drafted; lines you wrote stay yours. *Re-draft* "
                "writes the whole message afresh from these fields."
            )
        ),
        *(_field(name, draft.scope) for name in editing.fields),
        ActionsBlock(
            block_id=BlockId.COMMS_ACTIONS,
            elements=[
                ButtonElement(text="Preview", action_id=ActionId.COMMS_PREVIEW, value="1"),
                _redraft_button(editing.parts),
            ],
        ),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.COMMS_DRAFT,
        title=KIND_LABELS[editing.kind],
        submit="Save draft",
        close="Cancel",
        blocks=blocks,
        private_metadata=meta.model_dump_json(),
    )


def _about(editing: Editing) -> ContextBlock:
    audience = editing.composed.draft.audience.value
    if editing.version and editing.saved_by and editing.saved_at:
        saved = f"v{editing.version} saved by {user(editing.saved_by)} {when(editing.saved_at)}"
    else:
        saved = "not saved yet"
    goes = f"publishes to {where(editing.targets)}" if editing.targets else nowhere(editing.kind)
    text = f"{audience.capitalize()} · {saved} · {goes}"
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, 2000))])


def whose_words(parts: Parts, kept: tuple[str, ...]) -> list[Block]:
    """Say which parts of the message are drafted from the fields and which are the person's."""
    if parts.all_drafted:
        text = (
            "🤖 *Drafted* from the fields below: every line follows them. Change any line and it "
            "stays as you wrote it."
        )
    else:
        yours = (["the title"] if parts.title_theirs else []) + [
            f"“{esc(clip(line, 60))}”" for line in parts.theirs[:MAX_QUOTED]
        ]
        more = len(parts.theirs) - MAX_QUOTED
        text = f"✍️ *Yours*, kept as you wrote it: {', '.join(yours)}"
        text += f" and {more} more line(s)." if more > 0 else "."
        text += f"\n🤖 *Drafted* from the fields: {_lines(parts.drafted)}; they follow the fields."
    lines = [text]
    if kept:
        quoted = ", ".join(f"“{esc(clip(line, 60))}”" for line in kept[:MAX_QUOTED])
        lines.append(
            f"⚠️ The fields changed where you had written your own words; yours were kept: "
            f"{quoted}. *Re-draft* to take the fields' wording instead."
        )
    return [ContextBlock(elements=[MarkdownTextObject(text=clip(t, 2000))]) for t in lines]


def _lines(count: int) -> str:
    return "1 line" if count == 1 else f"{count} lines"


def _redraft_button(parts: Parts) -> ButtonElement:
    yours = "" if parts.all_drafted else ", replacing the words you wrote yourself"
    return ButtonElement(
        text="Re-draft",
        action_id=ActionId.COMMS_REDRAFT,
        value="1",
        confirm=ConfirmObject(
            title="Re-draft the message?",
            text=f"The whole message is written afresh from the fields{yours}. Nothing is saved "
            "until you choose *Save draft*, and saved versions stay in *History*.",
            confirm="Re-draft",
            deny="Keep my text",
        ),
    )


def _text_input(
    block_id: str, action_id: str, label: str, value: str, multiline: bool
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        element=PlainTextInputElement(
            action_id=action_id,
            initial_value=clip(value, TEXT_MAX) or None,
            multiline=multiline,
            max_length=TEXT_MAX if multiline else 250,
        ),
    )


def _field(name: str, scope: Scope) -> InputBlock:
    label, hint = FIELDS[name]
    if name == "status_page_status":
        return _status_select(scope.status_page_status)
    return InputBlock(
        block_id=field_block_id(name),
        label=label,
        optional=name not in REQUIRED_INPUTS,
        element=PlainTextInputElement(
            action_id=field_action_id(name),
            initial_value=field_value(name, scope) or None,
            placeholder=hint or None,
            multiline=name in MULTILINE,
            max_length=2000,
        ),
    )


def _status_select(current: StatusPageStatus) -> InputBlock:
    options = [Option(value=s.value, label=label) for s, label in STATUS_LABELS.items()]
    initial = next(o for o in options if o.value == current.value)
    return InputBlock(
        block_id=field_block_id("status_page_status"),
        label=FIELDS["status_page_status"][0],
        element=StaticSelectElement(
            action_id=field_action_id("status_page_status"),
            options=options,
            initial_option=initial,
        ),
    )


def field_value(name: str, scope: Scope) -> str:
    """A scope field as the form shows it (times in the scope's time zone)."""
    value = getattr(scope, name)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone(scope.timezone)).strftime(TIME_FORMAT)
    return str(value)


def override_modal(meta: OverrideMeta, errors: tuple[LintFinding, ...]) -> View:
    """Publish despite missing required scope: the comms lead must say why."""
    missing = "\n".join(f"• {esc(e.message)}" for e in errors)
    return View(
        type="modal",
        callback_id=CallbackId.COMMS_OVERRIDE,
        title="Publish anyway?",
        submit="Publish anyway",
        close="Back",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*v{meta.version} is missing required scope:*\n{missing}\n\n"
                    "Publishing without it is recorded on the timeline with your reason."
                )
            ),
            InputBlock(
                block_id=BlockId.COMMS_OVERRIDE_REASON,
                label="Why publish without it?",
                element=PlainTextInputElement(
                    action_id=ActionId.COMMS_OVERRIDE_REASON,
                    multiline=True,
                    max_length=1000,
                    placeholder="e.g. the affected count is unknown and users need to hear now",
                ),
            ),
        ],
        private_metadata=meta.model_dump_json(),
    )
