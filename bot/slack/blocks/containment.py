"""Block Kit for containment: the confirm dialog stating the exact plan, and the outcome."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.containment.shown import Request
from bot.flows.containment import Confirmation, PriorRun
from bot.flows.containment_report import RunView
from bot.slack.blocks.playbook import containment_button
from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.slack.text import clip, esc, user, when
from bot.vocabulary import RunState

TITLE = "Confirm containment"
BODY_SHOWN = 500  # of a failed run's answer
SECTION_MAX = 3000
DIALOG_BODY = 2800  # of a request body in the confirm dialog (a section holds 3,000)
BODY_PIECE = SECTION_MAX - 10  # room for the code fences
MODAL_BLOCKS = 100
CONTAIN_HINT = (
    "If this stopped the harm, *Mark contained* moves the incident to contained (fix validation "
    "counts eval runs from then on). The status can also be changed with `/incident update`."
)


class ConfirmMeta(BaseModel):
    """What the confirm dialog remembers: which click it confirms, and where to answer."""

    model_config = ConfigDict(frozen=True)

    channel_id: str
    incident_id: int
    action: str | None = None
    generation: int = 0
    undo_of: int | None = None


def loading_modal() -> View:
    """The dialog opened at once (trigger ids expire in 3 s), filled in when the plan is ready."""
    text = "Preparing exactly what will happen…"
    return View(
        type="modal",
        title=TITLE,
        close="Cancel",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )


def problem_modal(title: str, problem: str) -> View:
    """A dialog that explains why the action cannot run, with no way to submit."""
    text = f"*{esc(title)}* cannot run.\n⚠️ {esc(problem)}"
    return View(
        type="modal",
        title=TITLE,
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))],
    )


def confirm_modal(conf: Confirmation, channel_id: str, action_key: str | None) -> View:
    """The confirm dialog: exactly what will be sent, by which provider, and the warnings."""
    assert conf.plan is not None
    plan = conf.plan
    meta = ConfirmMeta(
        channel_id=channel_id,
        incident_id=conf.incident_id,
        action=action_key,
        generation=conf.generation,
        undo_of=conf.undo_of,
    )
    requests = conf.requests
    blocks: list[Block] = [
        _section(f"*{esc(conf.title)}* for incident #{conf.number}"),
        _section(f"*What will happen*\n{esc(plan.description)}"),
        _context(
            f"{plan.kind.label} provider `{esc(plan.provider)}` · "
            f"{_count(len(requests), 'request')}, in this order. Secret header values are "
            "masked: they come from the environment and are never shown or stored."
        ),
    ]
    for number, request in enumerate(requests, 1):
        blocks += _request_blocks(number, request, DIALOG_BODY)
    if any(r.body and len(esc(r.body)) > DIALOG_BODY for r in requests):
        blocks.append(
            ActionsBlock(
                block_id=BlockId.CONTAINMENT_CONFIRM,
                elements=[
                    ButtonElement(
                        text="Show the full request",
                        action_id=ActionId.CONTAINMENT_FULL_REQUEST,
                        value="1",
                    )
                ],
            )
        )
    if conf.prior is not None:
        warning = f"⚠️ This already ran: {_prior_text(conf.prior)}. Submitting runs it *again*."
        blocks.append(_context(warning))
    blocks.append(_context("Allowed roles are checked again when you submit."))
    submit = "Undo it" if conf.undo_of else "Run again" if conf.prior else "Run it"
    return View(
        type="modal",
        callback_id=CallbackId.CONTAINMENT_CONFIRM,
        title=TITLE,
        submit=submit,
        close="Cancel",
        blocks=blocks[:MODAL_BLOCKS],
        private_metadata=meta.model_dump_json(),
    )


def full_request_modal(conf: Confirmation) -> View:
    """Every request of the plan with its whole body (pushed over the confirm dialog)."""
    blocks: list[Block] = []
    for number, request in enumerate(conf.requests, 1):
        blocks += _request_blocks(number, request, None)
    if len(blocks) > MODAL_BLOCKS:
        blocks = [*blocks[: MODAL_BLOCKS - 1], _context("…the rest does not fit in Slack.")]
    return View(type="modal", title="The full request", close="Back", blocks=blocks)


def _request_blocks(number: int, request: Request, body_limit: int | None) -> list[Block]:
    """One request: why, method and URL, headers, and its body (clipped to `body_limit`)."""
    headers = "  ".join(f"`{esc(name)}: {esc(value)}`" for name, value in request.headers)
    head = (
        f"*{number}. {esc(request.purpose)}*\n`{request.method} {esc(request.url)}`\n"
        f"Headers: {headers or '_none_'}\nBody: {'' if request.body else '_none_'}"
    )
    blocks: list[Block] = [_section(clip(head, SECTION_MAX))]
    if request.body is None:
        return blocks
    body = esc(request.body)
    if body_limit is not None:
        shown = _clip_escaped(body, body_limit)
        more = f"\n…{len(body) - len(shown):,} more characters" if shown != body else ""
        return [*blocks, _section(f"```{shown}```{more}")]
    return [*blocks, *(_section(f"```{part}```") for part in _pieces(body, BODY_PIECE))]


def _clip_escaped(text: str, limit: int) -> str:
    """Cut escaped text to `limit` characters without splitting an entity such as `&amp;`."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    amp = cut.rfind("&")
    return cut[:amp] if amp != -1 and ";" not in cut[amp:] else cut


def _pieces(text: str, size: int) -> list[str]:
    pieces = []
    while text:
        piece = _clip_escaped(text, size)
        pieces.append(piece)
        text = text[len(piece) :]
    return pieces


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def already_ran(prior: PriorRun) -> str:
    """Tell the person whose click came second that the action ran once already."""
    return (
        f"ℹ️ This was already run ({_prior_text(prior)}), so it did not run again. "
        "Use *Run again* on its outcome message to run it deliberately once more."
    )


def _prior_text(prior: PriorRun) -> str:
    return f"{prior.state.value} — by {user(prior.by)} {when(prior.at)}"


def outcome_text(view: RunView) -> str:
    """Plain fallback text of the outcome message."""
    result = "succeeded" if view.state is RunState.SUCCEEDED else "FAILED"
    what = f"Undo of {view.undo_of_title}" if view.undo_of_title else view.title
    return f"{what} {result}: {view.description}"


def outcome_blocks(view: RunView) -> list[Block]:
    """The outcome in the channel: what ran, the provider's answer, and Undo / Run again."""
    blocks: list[Block] = [_section(clip(_headline(view), 3000)), _context(_facts(view))]
    succeeded = view.state is RunState.SUCCEEDED and not view.undo_of_title
    if view.undone is not None:
        blocks.append(_context(f"↩️ Undone by {user(view.undone.by)} {when(view.undone.at)}"))
    elif succeeded and view.undo_problem:
        blocks.append(_context(f"No one-click undo: {esc(view.undo_problem)}"))
    if view.offers_contain:
        blocks.append(_context(CONTAIN_HINT))
    elif succeeded and view.undone is None and view.contained_at:
        blocks.append(_context(f"🛡️ The incident was marked contained {when(view.contained_at)}."))
    buttons = _outcome_buttons(view)
    if buttons:
        blocks.append(ActionsBlock(block_id=BlockId.CONTAINMENT_OUTCOME, elements=buttons))
    return blocks


def _headline(view: RunView) -> str:
    ok = view.state is RunState.SUCCEEDED
    icon = ("↩️" if view.undo_of_title else "✅") if ok else "❌"
    what = f"Undo of {esc(view.undo_of_title)}" if view.undo_of_title else esc(view.title)
    result = "succeeded" if ok else "FAILED"
    text = f"{icon} *{what}* {result} — run by {user(view.requested_by)}\n{esc(view.description)}"
    if not ok:
        text += f"\n*Provider answer:* {esc(view.error or 'no answer')}"
        if view.body and view.body not in (view.error or ""):
            text += f"\n```{esc(clip(view.body, BODY_SHOWN))}```"
    return text


def _facts(view: RunView) -> str:
    status = f"HTTP {view.status}" if view.status is not None else "no HTTP answer"
    tries = f"{view.attempts} request" + ("" if view.attempts == 1 else "s")
    return (
        f"{view.provider} · {status} · {view.duration_ms or 0} ms · {tries} · "
        f"requested {when(view.requested_at)}"
    )


def _outcome_buttons(view: RunView) -> list[ButtonElement]:
    if view.undo_of_title:
        return []  # an undo is reversed by running the action again, from the original's message
    buttons: list[ButtonElement] = []
    can_undo = view.state is RunState.SUCCEEDED and view.undone is None and not view.undo_problem
    if can_undo:
        buttons.append(
            ButtonElement(text="Undo", action_id=ActionId.CONTAINMENT_UNDO, value=str(view.run_id))
        )
    if view.offers_contain:
        buttons.insert(0, _contain_button(view.run_id))
    label = "Try again" if view.state is RunState.FAILED else "Run again"
    buttons.append(
        containment_button(view.incident_id, view.action_key, view.next_generation, label)
    )
    return buttons


def _contain_button(run_id: int) -> ButtonElement:
    return ButtonElement(
        text="Mark contained",
        action_id=ActionId.CONTAINMENT_MARK_CONTAINED,
        value=str(run_id),
        style="primary",
    )


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
