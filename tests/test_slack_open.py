"""An alert opens a channel with topic, invites and a pinned live summary; roles by button."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.alerts.schemas import Routing, RoutingRule
from bot.config import Config
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.sandbox.stage import Stage
from bot.slack.gateway import SlackGateway, make_client
from bot.slack.ids import ActionId
from tests.support.server import RunningServer


def alert(**labels: str) -> dict[str, Any]:
    return {
        "title": "Support assistant quotes wrong refund amounts <!channel>",
        "dedupe_key": "refunds",
        "labels": {
            "ai_incident_type": "hallucination",
            "severity": "P1",
            "feature": "support-assistant",
            **labels,
        },
        "links": [{"title": "Langfuse traces", "url": "https://langfuse.example/traces?x=1&y=2"}],
    }


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "default_responders": ["U_BOB", "carol@example.com", "nobody@example.com"],
            "channels": {"announce": "C_GENERAL"},
        }
    )


def only_incident_channel(stage: Stage) -> str:
    [channel] = [c for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")]
    return channel.id


async def test_alert_opens_channel_with_summary(stage: Stage) -> None:
    stage.slack.add_channel(
        "general-bot", members=[stage.slack.bot_user_id], channel_id="C_GENERAL_BOT"
    )
    stage.slack.workspace.channels["C_GENERAL"].members.append(stage.slack.bot_user_id)
    assert (await stage.alert("generic", alert())).status_code == 202
    await stage.settle()
    channel = only_incident_channel(stage)
    name = stage.slack.channel(channel).name
    assert name.startswith("inc-") and name.endswith(
        "-support-assistant-quotes-wrong-refund-amounts-channel"
    )
    assert len(name) <= 80
    assert stage.slack.topic(channel).startswith("P1 · Hallucination · triage · no commander")
    members = stage.slack.members(channel)
    assert "U_BOB" in members and "U_CAROL" in members
    [pinned] = stage.slack.pins(channel)
    summary = str(pinned.blocks)
    assert pinned.blocks[0]["text"]["type"] == "plain_text"  # the title: never parsed as mrkdwn
    assert not any("<!channel>" in t for t in _mrkdwn_texts(pinned.blocks))
    assert "I'll be commander" in summary and "Langfuse traces" in summary
    posted = stage.slack.messages(channel)
    assert posted[0].ts == pinned.ts  # the summary first, though invites ran alongside it
    assert any("Could not invite" in m.text and "nobody@example.com" in m.text for m in posted)
    announced = [m.text for m in stage.slack.messages("C_GENERAL")]
    [announcement] = [t for t in announced if f"<#{channel}>" in t]
    assert "&lt;!channel&gt;" in announcement and "<!channel>" not in announcement


async def test_take_role_button_updates_summary_and_dms_duties(stage: Stage) -> None:
    await stage.alert("generic", alert())
    await stage.settle()
    channel = only_incident_channel(stage)
    [pinned] = stage.slack.pins(channel)
    value = _button_value(pinned.blocks, f"{ActionId.TAKE_ROLE}:commander")
    r = await stage.click(
        f"{ActionId.TAKE_ROLE}:commander",
        value,
        user="U_ALICE",
        channel=channel,
        message_ts=pinned.ts,
    )
    assert r.status_code == 200
    await stage.eventually(
        lambda: "commander: <@U_ALICE>" in str(stage.slack.pins(channel)[0].blocks)
    )
    assert "commander <@U_ALICE>" in stage.slack.topic(channel)
    assert any("now the *commander*" in m.text for m in stage.slack.messages(channel))
    dms = [
        m
        for c in stage.slack.workspace.channels.values()
        if c.is_im
        for m in stage.slack.messages(c.id)
    ]
    assert any("You are now the *commander*" in m.text for m in dms)


async def test_second_alert_updates_summary_in_place(stage: Stage) -> None:
    await stage.alert("generic", alert())
    await stage.settle()
    channel = only_incident_channel(stage)
    await stage.alert("generic", {**alert(), "id": "second"})
    await stage.settle()
    # alert bursts are coalesced: the summary shows the new count a few seconds later
    assert "*Alerts*\n1" in _mrkdwn_texts(stage.slack.pins(channel)[0].blocks)
    later = stage.deps.clock() + timedelta(seconds=5)
    stage.deps.clock = lambda: later
    await stage.settle()
    [pinned] = stage.slack.pins(channel)
    assert "*Alerts*\n2" in _mrkdwn_texts(pinned.blocks)
    assert len(stage.slack.calls("conversations.create")) == 1


async def test_summary_shows_which_alerts_are_still_firing(stage: Stage) -> None:
    async def send(key: str, status: str) -> None:
        await stage.alert("generic", {**alert(), "dedupe_key": key, "status": status})
        later = stage.deps.clock() + timedelta(seconds=5)  # past the summary's debounce
        stage.deps.clock = lambda: later
        await stage.settle()

    # Both regions' alerts share the feature's incident.
    stage.deps.config = Config(routing=Routing(rules=[RoutingRule(match={}, group_by=["feature"])]))
    await send("refunds-eu", "firing")
    await send("refunds-us", "firing")
    await send("refunds-eu", "resolved")
    [pinned] = stage.slack.pins(only_incident_channel(stage))
    assert "*Alerts*\n3 · 1 of 2 still firing" in _mrkdwn_texts(pinned.blocks)
    await send("refunds-us", "resolved")
    [pinned] = stage.slack.pins(only_incident_channel(stage))
    assert "*Alerts*\n4 · all resolved" in _mrkdwn_texts(pinned.blocks)


async def test_rate_limited_and_failing_slack_is_retried_without_duplicates(stage: Stage) -> None:
    stage.slack.fail_next("conversations.create", status=429, retry_after=0, times=5)
    stage.slack.fail_next("chat.postMessage", status=500, times=2)
    await stage.alert("generic", alert())
    await stage.eventually(
        lambda: bool(
            stage.slack.pins(only_incident_channel(stage))
            if _has_incident_channel(stage)
            else False
        ),
        timeout_s=60,
    )
    await stage.settle()
    assert (
        len([c for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")]) == 1
    )
    assert len(stage.slack.pins(only_incident_channel(stage))) == 1


async def test_name_taken_gets_a_suffix(stage: Stage) -> None:
    await stage.alert("generic", alert())
    await stage.settle()
    first = stage.slack.channel(only_incident_channel(stage)).name
    await stage.alert("generic", {**alert(), "dedupe_key": "other"})
    await stage.settle()
    names = sorted(
        c.name for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")
    )
    assert names == sorted([first, f"{first}-2"])


def _has_incident_channel(stage: Stage) -> bool:
    return any(c.name.startswith("inc-") for c in stage.slack.workspace.channels.values())


def _button_value(blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no button {action_id}")


def _mrkdwn_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "mrkdwn" else []
        return found + [t for v in node.values() for t in _mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _mrkdwn_texts(v)]
    return []


async def test_empty_required_roles_are_nudged_after_a_few_minutes(stage: Stage) -> None:
    await stage.alert("generic", alert())
    await stage.settle()
    channel = only_incident_channel(stage)
    assert not any("Still nobody" in m.text for m in stage.slack.messages(channel))
    later = stage.deps.clock() + timedelta(minutes=6)
    stage.deps.clock = lambda: later
    await stage.settle()
    [nudge] = [m.text for m in stage.slack.messages(channel) if "Still nobody" in m.text]
    assert "Still nobody is the *commander* or the *comms lead* or the *engineering lead*." in nudge


async def test_posts_to_one_channel_are_paced(fake_slack: FakeSlack) -> None:
    gateway = SlackGateway(
        make_client(fake_slack.token, fake_slack.api_url), min_post_interval_s=0.3
    )
    fake_slack.workspace.settings.min_post_interval_s = 0.3
    channel = await gateway.create_channel("inc-20261123-pacing")
    await asyncio.gather(*(gateway.post(channel.id, f"update {i}") for i in range(4)))
    assert len(fake_slack.messages(channel.id)) == 4
    assert fake_slack.pacing_violations(channel.id) == []
    unpaced = SlackGateway(make_client(fake_slack.token, fake_slack.api_url), min_post_interval_s=0)
    await asyncio.gather(*(unpaced.post(channel.id, f"burst {i}") for i in range(2)))
    assert fake_slack.pacing_violations(channel.id)  # the check itself sees a burst


async def test_slack_work_queued_before_a_restart_is_done_once_after(
    server: RunningServer, stage: Stage, auth_headers: dict[str, str]
) -> None:
    # `server` is the bot without Slack (as if it stopped after storing); `stage` is the next
    # process over the same database.
    r = await server.client.post("/alerts/generic", json=alert(), headers=auth_headers)
    assert r.status_code == 202
    assert not _has_incident_channel(stage)
    await stage.settle()
    await stage.settle()
    assert len(stage.slack.calls("conversations.create")) == 1
    assert len(stage.slack.pins(only_incident_channel(stage))) == 1


async def test_status_shows_the_summary_only_to_the_asker(stage: Stage) -> None:
    await stage.alert("generic", alert())
    await stage.settle()
    channel = only_incident_channel(stage)
    await stage.command("status", user="U_BOB", channel=channel)
    await stage.settle()
    [shown] = stage.slack.ephemerals(channel_id=channel, user="U_BOB")
    assert shown.blocks[0]["type"] == "header" and "#1" in shown.blocks[0]["text"]["text"]
