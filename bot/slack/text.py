"""The one boundary between our text and Slack: escaping, markup we mean, and Slack's limits.

Untrusted values (alert titles, labels, descriptions, anything a person typed) go through `esc`,
so `<!channel>`, mentions and disguised links reach Slack as plain text; only the bot's own
mentions and links (`user`, `channel`, `link`, `when`) are markup. Every payload leaves through
`fit_message`, `fit_view`, `fit_topic` or `fit_channel_name` (called by the gateway), which clip
anything over a Block Kit or Web API limit with a visible "…", so no input can make Slack refuse
a message.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from bot.untrusted import escape_markup

JSON = dict[str, Any]
ELLIPSIS = "…"

# Block Kit and Web API limits (api.slack.com/reference/block-kit and the methods' pages).
MESSAGE_MAX_BLOCKS = 50
SURFACE_MAX_BLOCKS = 100  # modals and the App Home
MESSAGE_MAX_TEXT = 40_000
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
FIELDS_MAX = 10
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
PLACEHOLDER_MAX = 150
INPUT_LABEL_MAX = 2000
INPUT_VALUE_MAX = 3000
HINT_MAX = 2000
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
TOPIC_MAX = 250
CHANNEL_NAME_MAX = 80


def esc(text: str) -> str:
    """Escape &, < and > so nobody can inject <!channel>, mentions or disguised links."""
    return escape_markup(text)


def when(at: datetime) -> str:
    """A date and time Slack shows in the reader's own time zone, with a UTC fallback."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def user(user_id: str | None) -> str:
    """Mention a user, or say nobody."""
    return f"<@{_id(user_id)}>" if user_id else "_unassigned_"


def channel(channel_id: str) -> str:
    """Link a channel by id."""
    return f"<#{_id(channel_id)}>"


def link(url: str, label: str) -> str:
    """A link the bot means, with an escaped label (the URL cannot close the markup early)."""
    safe_url = esc(url).replace("|", "%7C")
    return f"<{safe_url}|{esc(label)}>"


def _id(value: str) -> str:
    # Slack ids are letters and digits; anything else would let a stored value escape the markup.
    return re.sub(r"[^A-Za-z0-9_]", "", value)


def clip(text: str, limit: int, *, more: str | None = None) -> str:
    """Shorten text to a Slack limit, marking the cut with "…" (and `more`, e.g. a link)."""
    if len(text) <= limit:
        return text
    tail = ELLIPSIS + (f" {more}" if more else "")
    if len(tail) >= limit:
        tail = ELLIPSIS
    return _whole_markup(text[: limit - len(tail)]) + tail


def _whole_markup(cut: str) -> str:
    """Never leave half an entity (`&am`) or half a mention or link (`<@U1`) at a cut."""
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):
        cut = cut[:opened]
    amp = cut.rfind("&")
    if amp >= 0 and ";" not in cut[amp:] and len(cut) - amp <= 5:
        cut = cut[:amp]
    return cut


def fit_text(text: str) -> str:
    """A message's text (the notification fallback) within Slack's 40,000 characters."""
    return clip(text, MESSAGE_MAX_TEXT)


def fit_topic(topic: str) -> str:
    """A channel topic within Slack's 250 characters."""
    return clip(topic, TOPIC_MAX)


def fit_channel_name(name: str) -> str:
    """A channel name within Slack's 80 characters."""
    return name[:CHANNEL_NAME_MAX]


def fit_message(blocks: list[JSON]) -> list[JSON]:
    """A message's blocks within every Block Kit limit (50 blocks)."""
    return _fit_blocks(blocks, MESSAGE_MAX_BLOCKS)


def fit_view(view: JSON) -> JSON:
    """A modal or Home view within every Block Kit limit (100 blocks, 24-character title)."""
    fitted = {k: v for k, v in view.items() if k != "blocks"}
    fitted = copy.deepcopy(fitted)
    _clip_text_obj(fitted, "title", VIEW_TITLE_MAX)
    _clip_text_obj(fitted, "submit", VIEW_BUTTON_MAX)
    _clip_text_obj(fitted, "close", VIEW_BUTTON_MAX)
    fitted["blocks"] = _fit_blocks(list(view.get("blocks") or []), SURFACE_MAX_BLOCKS)
    return fitted


def _fit_blocks(blocks: list[JSON], limit: int) -> list[JSON]:
    fitted = [_fit_block(copy.deepcopy(b)) for b in blocks]
    if len(fitted) <= limit:
        return fitted
    hidden = len(fitted) - (limit - 1)
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"… {hidden} more"}]}
    return [*fitted[: limit - 1], note]


def _fit_block(block: JSON) -> JSON:
    kind = block.get("type")
    if kind == "header":
        _clip_text_obj(block, "text", HEADER_MAX)
    elif kind == "section":
        _clip_text_obj(block, "text", SECTION_TEXT_MAX)
        fields = block.get("fields")
        if isinstance(fields, list):
            block["fields"] = fields[:FIELDS_MAX]
            for item in block["fields"]:
                _clip_text(item, FIELD_MAX)
        if isinstance(block.get("accessory"), dict):
            _fit_element(block["accessory"])
    elif kind in ("actions", "context"):
        limit = ACTIONS_ELEMENTS_MAX if kind == "actions" else CONTEXT_ELEMENTS_MAX
        elements = [e for e in block.get("elements") or [] if isinstance(e, dict)][:limit]
        for element in elements:
            if kind == "actions":
                _fit_element(element)
            else:
                _clip_text(element, SECTION_TEXT_MAX)
        block["elements"] = elements
    elif kind == "input":
        _clip_text_obj(block, "label", INPUT_LABEL_MAX)
        _clip_text_obj(block, "hint", HINT_MAX)
        if isinstance(block.get("element"), dict):
            _fit_element(block["element"])
    return block


def _fit_element(element: JSON) -> None:
    _clip_text_obj(element, "text", BUTTON_TEXT_MAX)
    _clip_text_obj(element, "placeholder", PLACEHOLDER_MAX)
    if isinstance(element.get("value"), str) and element.get("type") == "button":
        element["value"] = element["value"][:BUTTON_VALUE_MAX]
    if isinstance(element.get("initial_value"), str):  # what a form shows typed in already
        longest = element.get("max_length") or INPUT_VALUE_MAX
        element["initial_value"] = element["initial_value"][: int(longest)]
    for key in ("options", "initial_options"):
        options = element.get(key)
        if isinstance(options, list):
            element[key] = options[:OPTIONS_MAX]
            for option in element[key]:
                _fit_option(option)
    if isinstance(element.get("initial_option"), dict):
        _fit_option(element["initial_option"])
    confirm = element.get("confirm")
    if isinstance(confirm, dict):
        _clip_text_obj(confirm, "title", CONFIRM_TITLE_MAX)
        _clip_text_obj(confirm, "text", CONFIRM_TEXT_MAX)
        _clip_text_obj(confirm, "confirm", CONFIRM_BUTTON_MAX)
        _clip_text_obj(confirm, "deny", CONFIRM_BUTTON_MAX)


def _fit_option(option: Any) -> None:
    if isinstance(option, dict):
        _clip_text_obj(option, "text", OPTION_TEXT_MAX)
        _clip_text_obj(option, "description", OPTION_TEXT_MAX)
        if isinstance(option.get("value"), str):
            option["value"] = option["value"][:OPTION_VALUE_MAX]


def _clip_text_obj(parent: JSON, key: str, limit: int) -> None:
    obj = parent.get(key)
    if isinstance(obj, dict):
        _clip_text(obj, limit)
    elif isinstance(obj, str):
        parent[key] = clip(obj, limit)


def _clip_text(obj: Any, limit: int) -> None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        obj["text"] = clip(obj["text"], limit)
