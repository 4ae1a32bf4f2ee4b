"""Demo scene of comms: the comms lead drafts, edits, previews, saves and publishes an update."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bot.sandbox.demo.core import incident_channel
from bot.sandbox.slack import signing
from bot.slack.ids import ActionId, BlockId, CallbackId

if TYPE_CHECKING:
    from bot.sandbox.demo.transcript import Transcript
    from bot.sandbox.stage import Stage

STATUS_CHANNEL = "C_STATUS"  # the Slack channel target configured in demo_config()
SEGMENT = "Support assistant users who asked about refunds since 03:02 UTC"
DONE = (
    "We turned off refund answers in the support assistant and route refund questions "
    "to our support team"
)


async def comms_update(stage: Stage, t: Transcript) -> None:
    """@bob (comms) turns "we need to say something" into a published, specific update."""
    t.scene("03:25 — The comms lead publishes a status update")
    if STATUS_CHANNEL not in stage.slack.workspace.channels:
        stage.slack.add_channel(
            "status-updates", members=[stage.slack.bot_user_id], channel_id=STATUS_CHANNEL
        )
    channel = incident_channel(stage)
    started = time.monotonic()
    t.say("@bob types /incident comms status_update")
    view = await _open(stage, channel)
    t.say("the form opens with a drafted update and its lint:")
    _show(t, view)
    t.say(f"@bob fills in Who is affected: “{SEGMENT}”")
    t.say(f"@bob fills in What we have done: “{DONE}”, then clicks [Preview]")
    typed = {_field("segment"): SEGMENT, _field("actions_taken"): DONE}
    view = await _preview(stage, view, typed)
    _show(t, view)
    t.say("@bob clicks [Save draft]; the draft card appears in the channel")
    await stage.submit(view, _state(view), user="U_BOB")
    await stage.settle()
    t.flush()
    t.say("@bob clicks [Approve & publish] on the card")
    card = _card(stage, channel)
    await stage.click(
        ActionId.COMMS_APPROVE,
        _value(card, ActionId.COMMS_APPROVE),
        user="U_BOB",
        channel=channel,
        message_ts=card.ts,
    )
    await stage.settle()
    t.say(f"published {time.monotonic() - started:.1f} s after the command (plus typing time)")


async def _open(stage: Stage, channel: str) -> dict[str, Any]:
    before = len(stage.slack.views())
    await stage.command("comms status_update", user="U_BOB", channel=channel)
    await stage.eventually(lambda: len(stage.slack.views()) > before and _filled(stage))
    return stage.slack.view_payload(stage.slack.views()[-1])


def _filled(stage: Stage) -> bool:
    return stage.slack.views()[-1].payload.get("callback_id") == CallbackId.COMMS_DRAFT


async def _preview(stage: Stage, view: dict[str, Any], typed: dict[str, str]) -> dict[str, Any]:
    shown = stage.slack.views()[-1]
    edits = len(shown.history)
    await stage.send(
        signing.block_action(
            stage.secret,
            user_id="U_BOB",
            action_id=ActionId.COMMS_PREVIEW,
            value="1",
            block_id=BlockId.COMMS_ACTIONS,
            trigger_id=stage.slack.issue_trigger_id("U_BOB"),
            view={**view, "state": {"values": _state(view, typed)}},
        )
    )
    await stage.eventually(lambda: len(shown.history) > edits)
    return stage.slack.view_payload(shown)


def _field(name: str) -> str:
    return f"{ActionId.COMMS_FIELD}:{name}"


def _state(view: dict[str, Any], typed: dict[str, str] | None = None) -> dict[str, Any]:
    """The form's inputs as Slack submits them: what is shown, with `typed` typed over."""
    typed = typed or {}
    values: dict[str, Any] = {}
    for block in (b for b in view["blocks"] if b["type"] == "input"):
        element = block["element"]
        aid = element["action_id"]
        if element["type"] == "static_select":
            option = {"value": typed.get(aid, element["initial_option"]["value"])}
            values[block["block_id"]] = {aid: {"type": "static_select", "selected_option": option}}
        else:
            value = typed.get(aid, element.get("initial_value"))
            values[block["block_id"]] = {aid: {"type": "plain_text_input", "value": value}}
    return values


def _show(t: Transcript, view: dict[str, Any]) -> None:
    for block in view["blocks"]:
        element = block.get("element", {})
        if element.get("action_id") in (ActionId.COMMS_TITLE, ActionId.COMMS_TEXT):
            for line in str(element.get("initial_value", "")).splitlines():
                t.out(f"      | {line}")
        if block["type"] == "context" and block["elements"][0]["text"].startswith(
            ("⛔", "⚠", "✅")
        ):
            t.out(f"      {block['elements'][0]['text']}")


def _card(stage: Stage, channel: str) -> Any:
    return next(
        m
        for m in reversed(stage.slack.messages(channel))
        if any(
            e.get("action_id") == ActionId.COMMS_APPROVE
            for b in m.blocks
            for e in b.get("elements", [])
        )
    )


def _value(message: Any, action_id: str) -> str:
    return next(
        str(e["value"])
        for b in message.blocks
        for e in b.get("elements", [])
        if e.get("action_id") == action_id
    )
