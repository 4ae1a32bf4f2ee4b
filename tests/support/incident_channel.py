"""Helpers for tests that drive an incident channel: open one by alert, find messages, click."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.db import session_scope
from bot.models import IncidentRole, TimelineEvent
from bot.sandbox.slack.model import Message
from bot.sandbox.stage import Stage
from bot.slack.ids import BlockId

PHASES = ("Triage", "Scope", "Mitigate", "Post-incident")


def alert(
    type_: str = "hallucination", feature: str = "support-assistant", **extra: Any
) -> dict[str, Any]:
    """A generic-format alert that opens an incident of this type on this feature."""
    return {
        "title": "Support assistant quotes wrong refund amounts",
        "dedupe_key": f"{type_}-{feature}",
        "labels": {"ai_incident_type": type_, "severity": "P2", "feature": feature},
        **extra,
    }


def incident_channel(stage: Stage) -> str:
    """The id of the only incident channel."""
    [channel] = [c for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")]
    return channel.id


async def open_incident(
    stage: Stage, type_: str = "hallucination", feature: str = "support-assistant"
) -> str:
    """Fire an alert, let the channel open, and return its id."""
    response = await stage.alert("generic", alert(type_, feature))
    assert response.status_code == 202, response.text
    await stage.settle()
    return incident_channel(stage)


def phase_messages(stage: Stage, channel: str) -> dict[str, Message]:
    """The live (not replaced) playbook phase messages of a channel, by phase name."""
    found: dict[str, Message] = {}
    for message in stage.slack.messages(channel):
        header = next((b for b in message.blocks if b.get("type") == "header"), None)
        if header is None or " · " not in header["text"]["text"]:
            continue
        name = header["text"]["text"].split(" · ")[0]
        if name in PHASES and "was replaced by" not in str(message.blocks):
            found[name] = message
    return found


def buttons(message: Message) -> list[dict[str, Any]]:
    """Every button of a message, with the block it sits in as `_block`."""
    return [
        {**element, "_block": block.get("block_id", "")}
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def step_button(message: Message, step_id: str, action_id: str) -> dict[str, Any]:
    """The button `action_id` of one step."""
    block_id = f"{BlockId.STEP_ACTIONS}:{step_id}"
    for button in buttons(message):
        if button["_block"] == block_id and button["action_id"] == action_id:
            return button
    raise AssertionError(f"no {action_id} button on step {step_id}")


def step_text(message: Message, step_id: str) -> str:
    """The text shown for one step."""
    block_id = f"{BlockId.STEP_TEXT}:{step_id}"
    [block] = [b for b in message.blocks if b.get("block_id") == block_id]
    return str(block["text"]["text"])


async def click_step(
    stage: Stage, channel: str, message: Message, step_id: str, action_id: str, user: str
) -> None:
    """Click a step's button as `user`."""
    button = step_button(message, step_id, action_id)
    response = await stage.click(
        action_id,
        button["value"],
        user=user,
        channel=channel,
        message_ts=message.ts,
        block_id=button["_block"],
    )
    assert response.status_code == 200


async def timeline(stage: Stage, kind: str | None = None) -> list[TimelineEvent]:
    """The timeline of every incident, oldest first, optionally of one kind."""
    async with session_scope(stage.deps.sessions) as session:
        stmt = select(TimelineEvent).order_by(TimelineEvent.id)
        if kind is not None:
            stmt = stmt.where(TimelineEvent.kind == kind)
        return list((await session.scalars(stmt)).all())


async def command(stage: Stage, text: str, *, user: str, channel: str) -> None:
    """Type `/incident <text>` and let queued work run."""
    response = await stage.command(text, user=user, channel=channel)
    assert response.status_code == 200, response.text
    await stage.settle()


async def assign(stage: Stage, role: str, user: str, channel: str) -> None:
    """Give `role` to `user` by command, and wait until it is held."""
    await command(stage, f"role {role} <@{user}>", user="U_ALICE", channel=channel)

    async def held() -> bool:
        async with session_scope(stage.deps.sessions) as session:
            rows = await session.scalars(
                select(IncidentRole.user_id).where(IncidentRole.role == role)
            )
            return user in rows.all()

    await stage.eventually(held)
    await stage.settle()


def closed(stage: Stage, channel: str, phase: str, count: str) -> Callable[[], bool]:
    """A condition: the phase message shows `count` (e.g. '2/3') steps closed."""
    return lambda: f"{count} closed" in str(phase_messages(stage, channel)[phase].blocks)
