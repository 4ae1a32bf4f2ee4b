"""What changed, in Slack: posted when an incident opens, when a change arrives, on command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.db import session_scope
from bot.jobs.kinds import JobKind
from bot.models import DueWork
from bot.sandbox.slack.model import Message
from bot.sandbox.stage import Stage
from tests.support.incident_channel import alert, incident_channel, timeline

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALERT_AT = START + timedelta(hours=1)


@pytest.fixture
def config() -> Config:
    return Config(default_responders=["U_ALICE"])


async def post_change(stage: Stage, **change: Any) -> None:
    token = stage.deps.settings.webhook_token
    assert token is not None
    body = {"feature": "support-assistant", **change}
    if isinstance(body.get("at"), datetime):
        body["at"] = body["at"].isoformat()
    response = await stage.http.post(
        "/changes", json=body, headers={"Authorization": f"Bearer {token.get_secret_value()}"}
    )
    assert response.status_code == 201, response.text


async def ledger(stage: Stage) -> None:
    """Changes around an alert at ALERT_AT: some near the feature, some not."""
    await post_change(
        stage,
        kind="prompt",
        **{"from": "v11", "to": "v12"},
        at=ALERT_AT - timedelta(minutes=40),
        author="dana",
        link="https://prompts.example/support-answer/12",
        description="Shorter refund answers <!channel>",
    )
    await post_change(stage, kind="traffic", at=ALERT_AT - timedelta(hours=30), description="EU")
    await post_change(stage, kind="traffic", at=ALERT_AT - timedelta(days=3), description="old")
    await post_change(
        stage,
        kind="model",
        **{"from": "gpt-4o-2024-08", "to": "gpt-4o-2024-11"},
        at=ALERT_AT - timedelta(days=4),
    )
    await post_change(stage, kind="index", at=ALERT_AT - timedelta(days=8))
    await post_change(stage, kind="deploy", feature="billing", at=ALERT_AT - timedelta(hours=1))
    await post_change(stage, kind="config", feature=None, service="support-assistant")


def report_message(stage: Stage, channel: str) -> Message:
    [message] = [m for m in stage.slack.messages(channel) if "*What changed*" in str(m.blocks)]
    return message


def change_lines(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks[1:] if b.get("type") == "section"]


async def open_at_alert_time(stage: Stage) -> str:
    stage.deps.clock = lambda: ALERT_AT
    assert (await stage.alert("generic", alert())).status_code == 202
    await stage.settle()
    return incident_channel(stage)


async def test_changes_near_the_feature_are_posted_when_the_incident_opens(stage: Stage) -> None:
    stage.deps.clock = lambda: START
    await ledger(stage)
    channel = await open_at_alert_time(stage)
    message = report_message(stage, channel)
    heading = message.blocks[0]["text"]["text"]
    assert "`support-assistant` — last 7 days (traffic: 48 h), newest first" in heading
    lines = change_lines(message.blocks)
    assert len(lines) == 4  # not: old traffic (3 d), index (8 d), another feature
    prompt = lines[0]
    assert prompt.startswith("📝 *prompt* on `support-assistant`: `v11` → `v12`")
    assert "*40 min before the first alert*" in prompt and "by dana" in prompt
    assert "<https://prompts.example/support-answer/12|details>" in prompt
    assert "&lt;!channel&gt;" in prompt and "<!channel>" not in prompt
    assert lines[1].startswith("⚙️ *config* on `support-assistant`")  # matched by service
    assert "*1 h before the first alert*" in lines[1]
    assert "*1 d 6 h before the first alert*" in lines[2] and "traffic" in lines[2]
    assert "*4 d before the first alert*" in lines[3] and "`gpt-4o-2024-11`" in lines[3]


async def test_a_change_that_arrives_while_the_incident_is_open_is_posted(stage: Stage) -> None:
    channel = await open_at_alert_time(stage)
    later = ALERT_AT + timedelta(minutes=25)
    stage.deps.clock = lambda: later
    await post_change(stage, kind="prompt", **{"from": "v12", "to": "v13"}, author="dana")
    async with session_scope(stage.deps.sessions) as session:  # queued with the change itself
        queued = await session.scalars(
            select(DueWork).where(DueWork.kind == JobKind.CHANGE_ARRIVAL)
        )
        assert [w.subject_key for w in queued] == ["1:1"]
    await post_change(stage, kind="deploy", feature="billing")
    await stage.settle()
    [notice] = [m.text for m in stage.slack.messages(channel) if "just recorded" in m.text]
    assert "`v12` → `v13`" in notice and "*25 min after the first alert*" in notice
    [event] = await timeline(stage, "change")
    assert event.actor == "dana" and "prompt change on support-assistant v12 → v13" in event.text
    await stage.settle()
    assert len([m for m in stage.slack.messages(channel) if "just recorded" in m.text]) == 1


async def test_incident_changes_command_takes_a_number_of_days(stage: Stage) -> None:
    stage.deps.clock = lambda: START
    await ledger(stage)
    channel = await open_at_alert_time(stage)
    response = await stage.command("changes 3", user="U_ALICE", channel=channel)
    assert response.status_code == 200
    await stage.eventually(lambda: bool(stage.slack.ephemerals(user="U_ALICE")))
    [shown] = stage.slack.ephemerals(user="U_ALICE")
    assert "last 3 days, newest first" in shown.blocks[0]["text"]["text"]
    lines = change_lines(shown.blocks)
    kinds = [line.split("*")[1] for line in lines]
    assert kinds == ["prompt", "config", "traffic", "traffic"]  # 3 days for every kind

    for bad in ("changes 0", "changes soon", "changes 91"):
        reply = await stage.command(bad, user="U_ALICE", channel=channel)
        assert "Give a number of days from 1 to 90" in reply.json()["text"], bad
    reply = await stage.command("changes", user="U_ALICE", channel="C_GENERAL")
    await stage.eventually(lambda: bool(stage.slack.responses()))
    assert "works inside an incident channel" in stage.slack.responses()[-1].body["text"]
