"""Slack's Block Kit and view limits, checked the way the API reports them."""

from __future__ import annotations

from typing import Any

from bot.sandbox.slack.model import JSON, SlackError

MESSAGE_MAX_BLOCKS = 50
SURFACE_MAX_BLOCKS = 100
MESSAGE_MAX_TEXT = 40_000
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ID_MAX = 255
ACTIONS_ELEMENTS_MAX = 25
CONTEXT_ELEMENTS_MAX = 10
INPUT_LABEL_MAX = 2000
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
PRIVATE_METADATA_MAX = 3000
TOPIC_MAX = 250
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
PLACEHOLDER_MAX = 150
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
CONTEXT_TEXT_MAX = 3000

BLOCK_TYPES = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
}


def check_message_blocks(blocks: list[JSON]) -> None:
    """Raise `invalid_blocks` when blocks break a message's limits."""
    problems = block_problems(blocks, limit=MESSAGE_MAX_BLOCKS, at="/blocks")
    if problems:
        raise SlackError("invalid_blocks", errors=problems, response_metadata=_meta(problems))


def check_view(view: JSON, *, kind: str) -> None:
    """Raise `invalid_arguments` when a modal or Home view breaks Slack's limits."""
    problems = view_problems(view, kind=kind)
    if problems:
        raise SlackError("invalid_arguments", response_metadata=_meta(problems))


def view_problems(view: JSON, *, kind: str) -> list[str]:
    """Return what is wrong with a view of type `kind` (`modal` or `home`)."""
    if view.get("type") != kind:
        return [f"must be {kind} [json-pointer:/view/type]"]
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return ["missing required field: blocks [json-pointer:/view/blocks]"]
    problems = block_problems(blocks, limit=SURFACE_MAX_BLOCKS, at="/view/blocks")
    problems += _too_long(
        view.get("private_metadata"), PRIVATE_METADATA_MAX, "/view/private_metadata"
    )
    problems += _too_long(view.get("callback_id"), ID_MAX, "/view/callback_id")
    if kind == "modal":
        problems += _modal_problems(view, blocks)
    return problems


def block_problems(blocks: list[Any], *, limit: int, at: str) -> list[str]:
    """Return what is wrong with a list of blocks, each with its JSON pointer."""
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{at}]")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{at}/{index}"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            problems.append(f"unsupported block type [json-pointer:{where}/type]")
            continue
        block_id = block.get("block_id")
        if block_id in seen:
            problems.append(f"duplicate block_id {block_id} [json-pointer:{where}/block_id]")
        if isinstance(block_id, str):
            seen.add(block_id)
        problems += _one_block(block, where)
    return problems


def _one_block(block: JSON, at: str) -> list[str]:
    problems = _too_long(block.get("block_id"), ID_MAX, f"{at}/block_id")
    kind = block["type"]
    if kind == "section":
        problems += _section(block, at)
    elif kind == "header":
        problems += _too_long(_text(block.get("text")), HEADER_TEXT_MAX, f"{at}/text/text")
    elif kind == "actions":
        problems += _elements(block, ACTIONS_ELEMENTS_MAX, at)
    elif kind == "context":
        elements = block.get("elements")
        problems += _count(elements, CONTEXT_ELEMENTS_MAX, f"{at}/elements")
        for index, item in enumerate(elements if isinstance(elements, list) else []):
            where = f"{at}/elements/{index}/text"
            problems += _too_long(_text(item), CONTEXT_TEXT_MAX, where)
    elif kind == "input":
        problems += _input(block, at)
    return problems


def _section(block: JSON, at: str) -> list[str]:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        return [f"must provide either text or fields [json-pointer:{at}]"]
    problems = _too_long(_text(text), SECTION_TEXT_MAX, f"{at}/text/text")
    problems += _count(fields, SECTION_FIELDS_MAX, f"{at}/fields")
    for index, item in enumerate(fields or []):
        problems += _too_long(_text(item), FIELD_TEXT_MAX, f"{at}/fields/{index}/text")
    if isinstance(block.get("accessory"), dict):
        problems += _element(block["accessory"], f"{at}/accessory")
    return problems


def _elements(block: JSON, limit: int, at: str) -> list[str]:
    elements = block.get("elements") or []
    problems = _count(elements, limit, f"{at}/elements")
    for index, element in enumerate(elements):
        if isinstance(element, dict):
            problems += _element(element, f"{at}/elements/{index}")
    return problems


def _element(element: JSON, at: str) -> list[str]:
    problems = _too_long(element.get("action_id"), ID_MAX, f"{at}/action_id")
    if element.get("type") == "button":
        problems += _too_long(_text(element.get("text")), BUTTON_TEXT_MAX, f"{at}/text/text")
        problems += _too_long(element.get("value"), BUTTON_VALUE_MAX, f"{at}/value")
    problems += _too_long(_text(element.get("placeholder")), PLACEHOLDER_MAX, f"{at}/placeholder")
    for key in ("options", "initial_options"):
        options = element.get(key)
        problems += _count(options, OPTIONS_MAX, f"{at}/{key}")
        for index, option in enumerate(options if isinstance(options, list) else []):
            problems += _option(option, f"{at}/{key}/{index}")
    if isinstance(element.get("initial_option"), dict):
        problems += _option(element["initial_option"], f"{at}/initial_option")
    if isinstance(element.get("confirm"), dict):
        problems += _confirm(element["confirm"], f"{at}/confirm")
    return problems


def _option(option: Any, at: str) -> list[str]:
    if not isinstance(option, dict):
        return [f"options must be objects [json-pointer:{at}]"]
    problems = _too_long(_text(option.get("text")), OPTION_TEXT_MAX, f"{at}/text/text")
    problems += _too_long(_text(option.get("description")), OPTION_TEXT_MAX, f"{at}/description")
    return problems + _too_long(option.get("value"), OPTION_VALUE_MAX, f"{at}/value")


def _confirm(confirm: JSON, at: str) -> list[str]:
    problems = _too_long(_text(confirm.get("title")), CONFIRM_TITLE_MAX, f"{at}/title/text")
    problems += _too_long(_text(confirm.get("text")), CONFIRM_TEXT_MAX, f"{at}/text/text")
    for key in ("confirm", "deny"):
        problems += _too_long(_text(confirm.get(key)), CONFIRM_BUTTON_MAX, f"{at}/{key}/text")
    return problems


def _input(block: JSON, at: str) -> list[str]:
    if not isinstance(block.get("label"), dict) or not isinstance(block.get("element"), dict):
        return [f"input blocks need a label and an element [json-pointer:{at}]"]
    problems = _too_long(_text(block["label"]), INPUT_LABEL_MAX, f"{at}/label/text")
    return problems + _element(block["element"], f"{at}/element")


def _modal_problems(view: JSON, blocks: list[Any]) -> list[str]:
    title = _text(view.get("title"))
    if not title:
        return ["missing required field: title [json-pointer:/view/title]"]
    problems = _too_long(title, VIEW_TITLE_MAX, "/view/title/text")
    for key in ("submit", "close"):
        problems += _too_long(_text(view.get(key)), VIEW_BUTTON_MAX, f"/view/{key}/text")
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and not view.get("submit"):
        problems.append(
            "must provide a submit property when using input blocks [json-pointer:/view]"
        )
    return problems


def _text(obj: Any) -> str | None:
    if isinstance(obj, dict):
        text = obj.get("text")
        return text if isinstance(text, str) else None
    return None


def _too_long(value: Any, limit: int, at: str) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{at}]"]
    return []


def _count(items: Any, limit: int, at: str) -> list[str]:
    if isinstance(items, list) and len(items) > limit:
        return [f"no more than {limit} items allowed [json-pointer:{at}]"]
    return []


def _meta(problems: list[str]) -> JSON:
    return {"messages": [f"[ERROR] {p}" for p in problems]}
