"""Slack carries out a call but its answer is lost (500, time-out): retries create nothing twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Config
from bot.db import make_engine, make_sessionmaker
from bot.deps import Deps
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.sandbox.slack.model import Message
from bot.sandbox.stage import Stage, serve
from bot.settings import Settings
from bot.slack.gateway import PostKey
from tests.conftest import WEBHOOK_TOKEN


def alert(key: str = "refunds") -> dict[str, Any]:
    return {
        "title": "Support assistant quotes wrong refund amounts",
        "dedupe_key": key,
        "labels": {"ai_incident_type": "hallucination", "severity": "P2", "feature": "support"},
    }


@pytest.fixture
def config(request: pytest.FixtureRequest) -> Config:
    nudge_minutes = getattr(request, "param", 5)
    return Config.model_validate(
        {
            "default_responders": ["U_BOB"],
            "channels": {"announce": "C_GENERAL"},
            "role_nudge_minutes": nudge_minutes,
        }
    )


@pytest.fixture
async def stage(db_url: str, config: Config, fake_slack: FakeSlack) -> AsyncIterator[Stage]:
    """The bot with a 1-second Slack time-out, so a slow answer counts as lost."""
    settings = Settings(
        DATABASE_URL=db_url,
        INCIDENTBOT_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET="test-signing-secret",
        SLACK_API_URL=fake_slack.api_url,
    )
    engine = make_engine(db_url)
    deps = Deps(settings=settings, config=config, engine=engine, sessions=make_sessionmaker(engine))
    fake_slack.workspace.channels["C_GENERAL"].members.append(fake_slack.bot_user_id)
    async with serve(deps, fake_slack, slack_timeout_s=1) as running:
        yield running
    await engine.dispose()


def incident_channels(stage: Stage) -> list[str]:
    return [c.id for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")]


def keyed(stage: Stage, channel: str, part: str) -> list[Message]:
    return [
        m
        for m in stage.slack.messages(channel)
        if part in str(((m.metadata or {}).get("event_payload") or {}).get("key"))
    ]


async def fully_open(stage: Stage) -> str:
    def ready() -> bool:
        channels = incident_channels(stage)
        return len(channels) == 1 and len(stage.slack.pins(channels[0])) == 1

    await stage.eventually(ready, timeout_s=20)
    await stage.settle()
    [channel] = incident_channels(stage)
    return channel


def assert_opened_once(stage: Stage, channel: str) -> None:
    assert len(incident_channels(stage)) == 1
    assert len(keyed(stage, channel, "summary:")) == 1
    assert len(stage.slack.pins(channel)) == 1
    assert len(keyed(stage, "C_GENERAL", "slack.announce")) == 1
    phases = keyed(stage, channel, "playbook.post")
    assert phases and len(phases) == len({m.metadata["event_payload"]["key"] for m in phases})


@pytest.mark.parametrize("lost", ["500", "timeout"])
async def test_a_channel_created_without_an_answer_is_adopted(stage: Stage, lost: str) -> None:
    fault: dict[str, Any] = {"status": 500, "applied": True}
    if lost == "timeout":
        fault["hang_s"] = 2.0
    stage.slack.fail_next("conversations.create", **fault)
    await stage.alert("generic", alert())
    channel = await fully_open(stage)
    assert len(stage.slack.calls("conversations.create")) == 2  # the retry hit name_taken
    name = stage.slack.channel(channel).name
    assert name.endswith("-support-assistant-quotes-wrong-refund-amounts")
    assert_opened_once(stage, channel)


@pytest.mark.parametrize("lost", ["500", "timeout"])
async def test_a_summary_posted_without_an_answer_is_found_not_posted_again(
    stage: Stage, lost: str
) -> None:
    fault: dict[str, Any] = {"status": 500, "applied": True}
    if lost == "timeout":
        fault["hang_s"] = 2.0
    stage.slack.fail_next("chat.postMessage", **fault)  # the first post is the summary
    await stage.alert("generic", alert())
    channel = await fully_open(stage)
    assert_opened_once(stage, channel)


async def test_every_post_of_opening_survives_a_lost_answer(stage: Stage) -> None:
    # Lose the answer of each of the first eight posts (summary, announcement, playbook
    # phases, the change report...) in turn: each is retried and found, none is doubled.
    stage.slack.fail_next("chat.postMessage", status=500, applied=True, times=8)
    await stage.alert("generic", alert())
    channel = await fully_open(stage)
    await stage.eventually(lambda: len(keyed(stage, channel, "playbook.post")) >= 3, timeout_s=30)
    assert_opened_once(stage, channel)


async def test_a_name_taken_by_someone_elses_channel_gets_another(stage: Stage) -> None:
    await stage.alert("generic", alert())
    channel = await fully_open(stage)
    name = stage.slack.channel(channel).name
    stage.slack.add_channel(f"{name}-2", members=["U_BOB"])  # a person took the next name
    await stage.alert("generic", alert("second"))
    await stage.eventually(lambda: len(incident_channels(stage)) == 3, timeout_s=20)
    names = sorted(stage.slack.channel(c).name for c in incident_channels(stage))
    assert names == sorted([name, f"{name}-2", f"{name}-2-2"])


@pytest.mark.parametrize("config", [0], indirect=True)  # nudge at once
async def test_a_role_nudge_due_before_the_channel_exists_waits_for_it(stage: Stage) -> None:
    stage.slack.fail_next("conversations.create", status=429, retry_after=2)
    await stage.alert("generic", alert())
    channel = await fully_open(stage)
    await stage.eventually(lambda: bool(keyed(stage, channel, "slack.role_nudge")), timeout_s=20)
    [nudge] = keyed(stage, channel, "slack.role_nudge")
    assert "commander" in nudge.text.lower()


async def test_a_pin_that_failed_is_made_when_opening_is_retried(stage: Stage) -> None:
    stage.slack.fail_next("pins.add", status=500)
    await stage.alert("generic", alert())
    channel = await fully_open(stage)  # the summary is pinned after all
    assert_opened_once(stage, channel)


async def test_a_post_where_the_bot_cannot_read_history_is_sent(stage: Stage) -> None:
    # The announce channel is public and the bot posts there without joining it
    # (chat:write.public), so it cannot look for an earlier post: it posts.
    stage.slack.workspace.channels["C_GENERAL"].members.remove(stage.slack.bot_user_id)
    stage.slack.workspace.settings.public_post_without_join = True
    gateway = stage.runtime.ctx.gateway
    ts = await gateway.post("C_GENERAL", "hello", once=PostKey("greeting", may_exist=True))
    assert ts in [m.ts for m in stage.slack.messages("C_GENERAL")]
