"""Driving the comms form and draft cards over signed Slack requests, as a person would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db import session_scope
from bot.sandbox.slack import signing
from bot.sandbox.stage import Stage
from bot.slack.ids import ActionId, BlockId, CallbackId


async def declare(stage: Stage, type_: str = "hallucination", severity: str = "P2") -> str:
    """Declare an incident as U_ALICE through the modal; return its channel id."""
    await stage.command("declare Refund answers quote the wrong window")
    await stage.eventually(lambda: bool(stage.slack.views()))
    view = stage.slack.view_payload(stage.slack.views()[-1])
    values = signing.text_inputs(
        {
            BlockId.DECLARE_TITLE: {
                ActionId.DECLARE_TITLE: "Refund answers quote the wrong window"
            },
            BlockId.DECLARE_FEATURE: {ActionId.DECLARE_FEATURE: "support-assistant"},
        }
    )
    for block, action, value in (
        (BlockId.DECLARE_TYPE, ActionId.DECLARE_TYPE, type_),
        (BlockId.DECLARE_SEVERITY, ActionId.DECLARE_SEVERITY, severity),
    ):
        values[block] = {action: {"type": "static_select", "selected_option": {"value": value}}}
    await stage.submit(view, values, user="U_ALICE")
    await stage.eventually(lambda: incident_channel(stage) is not None)
    await stage.settle()
    channel = incident_channel(stage)
    assert channel is not None
    return channel


def incident_channel(stage: Stage) -> str | None:
    found = [c.id for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")]
    return found[-1] if found else None


async def with_roles(stage: Stage, channel: str) -> None:
    for text in ("role commander <@U_ALICE>", "role comms <@U_BOB>"):
        await stage.command(text, user="U_ALICE", channel=channel)
    await stage.settle()


async def open_form(stage: Stage, channel: str, kind: str = "status_update", user: str = "U_BOB"):
    """Type `/incident comms <kind>`; return the comms modal as Slack shows it."""
    before = len(stage.slack.views())
    await stage.command(f"comms {kind}", user=user, channel=channel)
    return await new_form(stage, before)


async def new_form(stage: Stage, before: int) -> dict[str, Any]:
    """Wait for a comms form opened after `before` views existed, filled in."""
    await stage.eventually(lambda: len(stage.slack.views()) > before and _ready(stage))
    return latest_view(stage)


def _ready(stage: Stage) -> bool:
    return stage.slack.views()[-1].payload.get("callback_id") == CallbackId.COMMS_DRAFT


def latest_view(stage: Stage) -> dict[str, Any]:
    return stage.slack.view_payload(stage.slack.views()[-1])


def state_of(view: dict[str, Any], **overrides: str) -> dict[str, Any]:
    """The view's state as Slack sends it: initial values, with some inputs typed over."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        aid = element["action_id"]
        if element["type"] == "static_select":
            value = overrides.get(aid, (element.get("initial_option") or {}).get("value"))
            state = {"type": "static_select", "selected_option": {"value": value}}
        else:
            state = {
                "type": "plain_text_input",
                "value": overrides.get(aid, element.get("initial_value")),
            }
        values[block["block_id"]] = {aid: state}
    return values


def field(name: str) -> str:
    return f"{ActionId.COMMS_FIELD}:{name}"


def input_value(view: dict[str, Any], action_id: str) -> str | None:
    for block in view["blocks"]:
        if block["type"] == "input" and block["element"]["action_id"] == action_id:
            return block["element"].get("initial_value")
    raise KeyError(action_id)


def context_texts(view_or_blocks: Any) -> str:
    blocks = view_or_blocks["blocks"] if isinstance(view_or_blocks, dict) else view_or_blocks
    return "\n".join(
        e.get("text", "") for b in blocks if b["type"] == "context" for e in b["elements"]
    )


async def preview(
    stage: Stage, view: dict[str, Any], user: str = "U_BOB", **typed: str
) -> dict[str, Any]:
    """Type into the form and press Preview; return the form as it is shown afterwards."""
    return await press(stage, view, ActionId.COMMS_PREVIEW, user, **typed)


async def press(
    stage: Stage, view: dict[str, Any], action_id: str, user: str = "U_BOB", **typed: str
) -> dict[str, Any]:
    """Type into the form and press one of its buttons; return the form as shown afterwards."""
    before = len(stage.slack.views()[-1].history)
    request = signing.block_action(
        stage.secret,
        user_id=user,
        action_id=action_id,
        value="1",
        block_id=BlockId.COMMS_ACTIONS,
        trigger_id=stage.slack.issue_trigger_id(user),
        view={**view, "state": {"values": state_of(view, **typed)}},
    )
    assert (await stage.send(request)).status_code == 200
    await stage.eventually(lambda: len(stage.slack.views()[-1].history) > before)
    return latest_view(stage)


def card(stage: Stage, channel: str) -> Any:
    cards = [m for m in stage.slack.messages(channel) if _has_action(m.blocks, "comms_")]
    return cards[-1] if cards else None


def _has_action(blocks: list[dict[str, Any]], prefix: str) -> bool:
    return any(
        str(e.get("action_id", "")).startswith(prefix)
        for b in blocks
        if b.get("type") == "actions"
        for e in b["elements"]
    )


def button(message: Any, action_id: str) -> str:
    for block in message.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise KeyError(action_id)


async def approve(stage: Stage, channel: str, user: str) -> None:
    message = card(stage, channel)
    await stage.click(
        ActionId.COMMS_APPROVE,
        button(message, ActionId.COMMS_APPROVE),
        user=user,
        channel=channel,
        message_ts=message.ts,
    )
    await stage.settle()


async def rows(stage: Stage, model: Any) -> list[Any]:
    async with session_scope(stage.deps.sessions) as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())


def last_responses(stage: Stage) -> str:
    return "\n".join(str(r.body.get("text", "")) for r in stage.slack.responses())
