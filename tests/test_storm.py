"""Alert storms: the cap per source and window, the storm incident, /incident split, and channel
creation paced to Slack's tier with P1 first; on a clock the test moves, never by waiting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Config
from bot.db import session_scope
from bot.models import Alert, Incident, SlackCallSlot, StormGroup
from bot.sandbox.stage import Stage
from bot.storm.schemas import Storm
from tests.support.followup import Clock, start_clock

CAP, PACE = 10, 4


@pytest.fixture
def config() -> Config:
    return Config(storm=Storm(max_new_incidents=CAP, window_minutes=10, channels_per_minute=PACE))


def alert(n: int, severity: str = "P3", **extra: Any) -> dict[str, Any]:
    return {
        "title": f"Checker {n} failing",
        "dedupe_key": f"checker-{n}",
        "labels": {"severity": severity, "feature": f"feature-{n % 7}"},
        **extra,
    }


async def rows(stage: Stage, stmt: Any) -> list[Any]:
    async with session_scope(stage.deps.sessions) as session:
        return list((await session.scalars(stmt)).all())


async def storm(stage: Stage) -> Incident:
    [found] = await rows(stage, select(Incident).where(Incident.group_key == "storm:generic"))
    return found


async def alerts_of(stage: Stage, incident_id: int) -> int:
    async with session_scope(stage.deps.sessions) as session:
        stmt = select(func.count()).select_from(Alert).where(Alert.incident_id == incident_id)
        return int(await session.scalar(stmt) or 0)


async def open_all_channels(stage: Stage, clock: Clock, expected: int) -> None:
    """Let the paced channel openings through, a minute of the test's clock at a time."""
    await stage.settle()
    for _ in range(expected // PACE + 2):
        if len(stage.slack.calls("conversations.create")) >= expected:
            break
        clock.advance(seconds=61)
        await stage.settle()


def assert_paced(slots: list[SlackCallSlot]) -> None:
    times = sorted(s.at for s in slots)
    for i, start in enumerate(times):
        in_window = [t for t in times[i:] if t - start < timedelta(minutes=1)]
        assert len(in_window) <= PACE


async def test_a_hundred_alerts_in_one_request_open_the_cap_and_one_storm(stage: Stage) -> None:
    clock = start_clock(stage)
    # The first ten open incidents (P3s first, P1s last); the other ninety are stormed.
    severities = ["P3"] * 4 + ["P2"] * 3 + ["P1"] * 3 + ["P3"] * 90
    body = {"alerts": [alert(n, s) for n, s in enumerate(severities)]}
    response = await stage.alert("generic", body)
    assert response.status_code == 202, response.text
    assert response.json()["stored"] == 100 and len(response.json()["opened"]) == CAP + 1
    own = await rows(stage, select(Incident).where(Incident.alert_source == "generic"))
    assert len(own) == CAP
    stormed = await storm(stage)
    assert stormed.title == "Alert storm from generic" and stormed.severity == "P3"
    assert await alerts_of(stage, stormed.id) == 90
    assert len(await rows(stage, select(StormGroup))) == 90

    await open_all_channels(stage, clock, CAP + 1)
    creates = stage.slack.calls("conversations.create")
    assert len(creates) == CAP + 1
    by_name = {i.channel_name: i.severity for i in await rows(stage, select(Incident))}
    order = [by_name[c.args["name"]] for c in creates]
    assert order == sorted(order), order  # P1 before P2 before P3
    assert_paced(await rows(stage, select(SlackCallSlot)))

    summary = stage.slack.pins((await storm(stage)).channel_id or "")[0]
    text = str(stage.slack.message_payload(summary)["blocks"])
    assert "Stormed alert groups* (90)" in text and "Checker 10 failing" in text
    assert "… and 65 more" in text


async def test_repeated_storm_alerts_attach_without_new_incidents(stage: Stage) -> None:
    clock = start_clock(stage)
    await stage.alert("generic", {"alerts": [alert(n) for n in range(30)]})
    clock.advance(seconds=30)
    again = {"alerts": [alert(n, values={"rate": 0.5}) for n in range(30)]}  # fires again
    response = await stage.alert("generic", again)
    assert response.json()["opened"] == [] and response.json()["stored"] == 30
    assert len(await rows(stage, select(Incident))) == CAP + 1
    assert await alerts_of(stage, (await storm(stage)).id) == 40


async def test_a_thousand_alerts_over_a_minute(stage: Stage) -> None:
    clock = start_clock(stage)
    for batch in range(20):  # 50 distinct alerts every 3 s of the test's clock
        body = {"alerts": [alert(batch * 50 + n, "P2") for n in range(50)]}
        response = await stage.alert("generic", body)
        assert response.status_code == 202 and response.json()["stored"] == 50
        clock.advance(seconds=3)
    assert len(await rows(stage, select(Incident).where(Incident.alert_source == "generic"))) == CAP
    assert await alerts_of(stage, (await storm(stage)).id) == 1000 - CAP
    await open_all_channels(stage, clock, CAP + 1)
    assert len(stage.slack.calls("conversations.create")) == CAP + 1
    assert_paced(await rows(stage, select(SlackCallSlot)))
    # A new window lets the source open incidents again.
    clock.advance(minutes=11)
    response = await stage.alert("generic", {"alerts": [alert(5000, "P1")]})
    assert len(response.json()["opened"]) == 1


async def test_the_commander_splits_a_group_out_of_the_storm(stage: Stage) -> None:
    clock = start_clock(stage)
    await stage.alert("generic", {"alerts": [alert(n) for n in range(CAP + 3)]})
    await open_all_channels(stage, clock, CAP + 1)
    channel = (await storm(stage)).channel_id
    assert channel is not None
    refused = await stage.command("split 2", channel=channel, user="U_BOB")
    await stage.settle()
    assert "Only the commander" in str(stage.slack.responses()[-1].body)
    await stage.command("role commander <@U_ALICE>", channel=channel)
    await stage.settle()
    usage = await stage.command("split two", channel=channel)
    assert "Usage" in usage.json()["text"] and refused.status_code == 200
    await stage.command("split 2", channel=channel)
    await stage.settle()
    new = await rows(stage, select(Incident).where(Incident.title == f"Checker {CAP + 1} failing"))
    assert len(new) == 1 and await alerts_of(stage, new[0].id) == 1
    assert await alerts_of(stage, (await storm(stage)).id) == 2
    assert len(await rows(stage, select(StormGroup))) == 2
    clock.advance(seconds=61)
    await stage.settle()
    [split] = await rows(stage, select(Incident).where(Incident.id == new[0].id))
    assert split.channel_id is not None
    said = [m.text for m in stage.slack.messages(channel)]
    assert any("split group 2 out as incident" in t for t in said)
