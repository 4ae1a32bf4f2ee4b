"""Read the comms form: Slack's view state into a title, a text and typed scope changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.comms.schemas import StatusPageStatus, known_zone
from bot.errors import BadInput
from bot.slack import view_state
from bot.slack.blocks.comms_modal import FIELDS, TIME_FORMAT
from bot.slack.ids import ActionId
from bot.templating import zone

TIMES = ("window_start", "window_end", "next_update_at")
TEXTS = (
    "feature",
    "what_happened",
    "segment",
    "user_action",
    "actions_taken",
    "prevention",
    "lead",
)

FIELD_NAMES = {name: label for name, (label, _) in FIELDS.items()} | {
    "title": "Title",
    "text": "Message",
}


@dataclass(frozen=True)
class Submitted:
    title: str
    text: str
    changes: dict[str, Any]


def read(view: dict[str, Any]) -> Submitted:
    """Parse the form; BadInput names the field ('title', 'text' or a scope field) at fault."""
    values = view_state.values(view)
    raw = {
        key.split(":", 1)[1]: value
        for key, value in values.items()
        if key.startswith(f"{ActionId.COMMS_FIELD}:")
    }
    return Submitted(
        title=values.get(ActionId.COMMS_TITLE, "").strip(),
        text=values.get(ActionId.COMMS_TEXT, "").strip(),
        changes=_changes(raw),
    )


def _changes(raw: dict[str, str]) -> dict[str, Any]:
    changes: dict[str, Any] = {name: raw[name].strip() for name in TEXTS if name in raw}
    tz = raw.get("timezone", "").strip() or None
    if tz is not None:
        try:
            changes["timezone"] = known_zone(tz)
        except ValueError as exc:
            raise BadInput(str(exc), field="timezone") from None
    for name in TIMES:
        if name in raw:
            changes[name] = parse_time(raw[name], tz or "UTC", name)
    if "affected_count" in raw:
        changes["affected_count"] = _count(raw["affected_count"])
    if raw.get("status_page_status"):
        changes["status_page_status"] = StatusPageStatus(raw["status_page_status"])
    return changes


def parse_time(text: str, tz: str, field: str) -> datetime | None:
    """Parse 'YYYY-MM-DD HH:MM' in the zone `tz` (empty means no time)."""
    text = text.strip()
    if not text:
        return None
    try:
        naive = datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        raise BadInput("use YYYY-MM-DD HH:MM, e.g. 2026-11-23 14:05", field=field) from None
    return naive.replace(tzinfo=zone(tz))


def _count(text: str) -> int | None:
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise BadInput("a whole number of users, e.g. 1200", field="affected_count")
    return int(cleaned)
