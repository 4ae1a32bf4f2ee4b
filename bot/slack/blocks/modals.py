"""Modals: declare an incident, post a status update. State rides in private_metadata."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.ids import ActionId, BlockId, CallbackId
from bot.vocabulary import IncidentType, Status


class ModalMeta(BaseModel):
    """What a modal must remember between opening and submission."""

    model_config = ConfigDict(frozen=True)

    channel_id: str
    incident_id: int | None = None


def _options(values: list[tuple[str, str]]) -> list[Option]:
    return [Option(value=v, label=label) for v, label in values]


def declare_modal(meta: ModalMeta, title: str = "") -> View:
    """The form behind `/incident declare`."""
    types = _options([(t.value, t.label) for t in IncidentType])
    severities = _options(
        [
            ("P1", "P1 — safety/policy or critical harm"),
            ("P2", "P2 — significant degradation"),
            ("P3", "P3 — localised, low impact"),
        ]
    )
    blocks: list[Block] = [
        InputBlock(
            block_id=BlockId.DECLARE_TITLE,
            label="What is wrong?",
            element=PlainTextInputElement(
                action_id=ActionId.DECLARE_TITLE,
                initial_value=title or None,
                max_length=200,
                placeholder="e.g. Support assistant gives wrong refund amounts",
            ),
        ),
        InputBlock(
            block_id=BlockId.DECLARE_TYPE,
            label="Type",
            element=StaticSelectElement(
                action_id=ActionId.DECLARE_TYPE, options=types, initial_option=types[0]
            ),
        ),
        InputBlock(
            block_id=BlockId.DECLARE_SEVERITY,
            label="Severity",
            element=StaticSelectElement(
                action_id=ActionId.DECLARE_SEVERITY,
                options=severities,
                initial_option=severities[1],
            ),
        ),
        InputBlock(
            block_id=BlockId.DECLARE_FEATURE,
            label="Affected feature",
            optional=True,
            element=PlainTextInputElement(action_id=ActionId.DECLARE_FEATURE, max_length=200),
        ),
        InputBlock(
            block_id=BlockId.DECLARE_DESCRIPTION,
            label="What have you seen?",
            optional=True,
            element=PlainTextInputElement(
                action_id=ActionId.DECLARE_DESCRIPTION, multiline=True, max_length=2900
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.DECLARE,
        title="Declare an incident",
        submit="Declare",
        close="Cancel",
        blocks=blocks,
        private_metadata=meta.model_dump_json(),
    )


def update_modal(meta: ModalMeta, current: Status) -> View:
    """The form behind `/incident update`: text and optionally a new status."""
    statuses = _options(
        [
            (s.value, s.value.capitalize())
            for s in (Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED)
        ]
    )
    initial = next((o for o in statuses if o.value == current.value), None)
    blocks: list[Block] = [
        InputBlock(
            block_id=BlockId.UPDATE_TEXT,
            label="Update",
            element=PlainTextInputElement(
                action_id=ActionId.UPDATE_TEXT,
                multiline=True,
                max_length=2900,
                placeholder="What we know, what we're doing, when the next update comes",
            ),
        ),
        InputBlock(
            block_id=BlockId.UPDATE_STATUS,
            label="Status",
            optional=True,
            element=StaticSelectElement(
                action_id=ActionId.UPDATE_STATUS, options=statuses, initial_option=initial
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=CallbackId.UPDATE,
        title="Status update",
        submit="Post update",
        close="Cancel",
        blocks=blocks,
        private_metadata=meta.model_dump_json(),
    )
