"""Paging through PagerDuty: one page per incident and target, acknowledged, resolved, retried."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import Config
from bot.sandbox.stage import Stage
from tests.support.followup import replies, start_clock, texts
from tests.support.pagerduty import PagerDuty

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ENV = {
    "PAGERDUTY_ROUTING_KEY": "R0UT1NGKEY0000000000000000000001",
    "PAGERDUTY_SAFETY_KEY": "R0UT1NGKEY0000000000000000000002",
    "PAGERDUTY_API_TOKEN": "y_NbAkKc66ryYTWUXYEu",
}


@pytest.fixture
async def pagerduty() -> AsyncIterator[PagerDuty]:
    keys = {ENV["PAGERDUTY_ROUTING_KEY"], ENV["PAGERDUTY_SAFETY_KEY"]}
    oncall = {"PSCHED1": {"name": "Dave Diaz", "email": "dave@example.com"}}
    async with PagerDuty(
        keys,
        ENV["PAGERDUTY_API_TOKEN"],
        oncall,
        services=frozenset({"PSVC001"}),
        policies=frozenset({"PLEGAL1"}),
        users=frozenset({"incidentbot@example.com"}),
    ) as running:
        yield running


@pytest.fixture
def config(pagerduty: PagerDuty) -> Config:
    events = f"{pagerduty.url}/v2/enqueue"
    return Config.model_validate(
        {
            "paging": {
                "targets": {
                    "ai-oncall": {
                        "kind": "pagerduty",
                        "routing_key_env": "PAGERDUTY_ROUTING_KEY",
                        "severities": ["P1"],
                        "events_url": events,
                    },
                    "safety-leads": {
                        "kind": "pagerduty",
                        "routing_key_env": "PAGERDUTY_SAFETY_KEY",
                        "events_url": events,
                    },
                    "legal": {
                        "kind": "pagerduty",
                        "escalation_policy": "PLEGAL1",
                        "service": "PSVC001",
                    },
                },
                "oncall": {"schedule_id": "PSCHED1"},
                "api": {"url": pagerduty.url, "from_email": "incidentbot@example.com"},
            }
        }
    )


@pytest.fixture
async def bot(stage: Stage) -> Stage:
    stage.deps.environ.update(ENV)
    start_clock(stage, MONDAY)
    return stage


async def new_channel(stage: Stage, severity: str) -> str:
    before = set(stage.slack.workspace.channels)
    body = {"title": "Assistant gives unsafe dosage advice", "severity": severity}
    assert (await stage.alert("generic", body)).status_code == 202
    await stage.eventually(lambda: set(stage.slack.workspace.channels) - before != set())
    await stage.settle()
    [channel] = [c for c in stage.slack.workspace.channels if c not in before]
    return channel


def summary(stage: Stage, channel: str) -> str:
    return str(stage.slack.pins(channel)[0].blocks)


async def test_a_p1_pages_once_then_acknowledges_and_resolves(
    bot: Stage, pagerduty: PagerDuty
) -> None:
    channel = await new_channel(bot, "P1")
    alert = pagerduty.alert("incidentbot/incident-1/ai-oncall")
    assert (alert.status, pagerduty.incidents) == ("triggered", 1)
    [trigger] = pagerduty.calls("POST")
    payload = trigger.json()["payload"]
    assert payload["severity"] == "critical" and payload["summary"].startswith("#1 Assistant")
    assert "ai-oncall: 📟 triggered" in summary(bot, channel)

    await bot.command("role commander <@U_ALICE>", channel=channel)
    await bot.settle()
    assert alert.status == "acknowledged"
    assert "ai-oncall: ✅ acknowledged" in summary(bot, channel)
    await bot.command("resolve --override fixed by hand", channel=channel)
    await bot.settle()
    assert alert.status == "resolved" and alert.history == ["trigger", "acknowledge", "resolve"]
    assert pagerduty.incidents == 1


async def test_bursts_and_a_lost_answer_never_page_twice(bot: Stage, pagerduty: PagerDuty) -> None:
    pagerduty.fail_events(429, 429, 502, 502)
    pagerduty.fail_events(500, applied=True)  # the trigger gets through, its answer is lost
    channel = await new_channel(bot, "P1")
    assert "ai-oncall: sending · ⚠️ retrying: PagerDuty: HTTP 429" in summary(bot, channel)
    for _ in range(30):
        bot.deps.clock.advance(minutes=1)  # type: ignore[attr-defined]
        await bot.settle(rounds=1)
    alert = pagerduty.alert("incidentbot/incident-1/ai-oncall")
    assert alert.history == ["trigger", "trigger"] and pagerduty.incidents == 1
    assert "ai-oncall: 📟 triggered" in summary(bot, channel)


async def test_page_by_hand_once_and_unknown_targets_are_named(
    bot: Stage, pagerduty: PagerDuty
) -> None:
    channel = await new_channel(bot, "P3")
    assert pagerduty.calls("POST") == []  # P3 pages nobody by itself
    await bot.command("page Safety-Leads", channel=channel, user="U_BOB")
    await bot.settle()
    assert "📟 <@U_BOB> paged *safety-leads* through PagerDuty." in texts(bot, channel)
    assert pagerduty.alert("incidentbot/incident-1/safety-leads").status == "triggered"
    await bot.command("page safety-leads", channel=channel, user="U_BOB")
    await bot.settle()
    assert "is already paged (📟 triggered)" in replies(bot)[-1]
    await bot.command("page finance", channel=channel)
    await bot.settle()
    assert (
        "no paging target 'finance'; page one of: ai-oncall, safety-leads, legal"
        in replies(bot)[-1]
    )
    r = await bot.command("page", channel=channel)
    assert "Usage: `/incident page <target>`" in r.json()["text"]
    assert pagerduty.incidents == 1


async def test_the_on_call_is_offered_as_commander(bot: Stage, pagerduty: PagerDuty) -> None:
    channel = await new_channel(bot, "P1")
    [offer] = [m for m in bot.slack.messages(channel) if "On call now" in m.text]
    assert "On call now for *AI on-call*: <@U_DAVE>" in offer.text
    assert "U_DAVE" in bot.slack.members(channel)
    button = offer.blocks[-1]["elements"][0]
    assert button["text"]["text"] == "Make Dave Diaz commander"
    await bot.click(button["action_id"], button["value"], user="U_CAROL", channel=channel)
    await bot.settle()
    assert "🙋 <@U_DAVE> is now the *commander*." in texts(bot, channel)
    assert pagerduty.alert("incidentbot/incident-1/ai-oncall").status == "acknowledged"
    [request] = pagerduty.calls("GET")
    assert request.query == {"schedule_ids[]": "PSCHED1", "include[]": "users", "earliest": "true"}


async def test_check_names_missing_paging_credentials(config: Config) -> None:
    from bot.paging import rules

    assert rules.problems(config.paging, {"PAGERDUTY_ROUTING_KEY": "k"}) == [
        "safety-leads: the environment variable PAGERDUTY_SAFETY_KEY is not set",
        "oncall: the environment variable PAGERDUTY_API_TOKEN is not set",
        "legal: the environment variable PAGERDUTY_API_TOKEN is not set",
    ]
    no_user = config.paging.model_copy(
        update={"api": config.paging.api.model_copy(update={"from_email": None})}
    )
    assert rules.problems(no_user, ENV)[-1] == (
        "legal: paging an escalation policy needs paging.api.from_email"
    )


async def test_an_escalation_policy_is_paged_through_the_rest_api_once(
    bot: Stage, pagerduty: PagerDuty
) -> None:
    channel = await new_channel(bot, "P3")
    pagerduty.lose_creates = 1  # the incident is created, the answer lost
    await bot.command("page legal", channel=channel, user="U_BOB")
    await bot.settle()
    assert "legal: sending · ⚠️ retrying: PagerDuty: HTTP 500" in summary(bot, channel)
    for _ in range(5):
        bot.deps.clock.advance(minutes=1)  # type: ignore[attr-defined]
        await bot.settle(rounds=1)
    [incident] = pagerduty.rest_incidents.values()  # found again by its key, not made twice
    assert any(r.path == "/incidents" for r in pagerduty.calls("GET"))
    assert incident["escalation_policy"] == {"id": "PLEGAL1", "type": "escalation_policy_reference"}
    assert incident["incident_key"] == "incidentbot/incident-1/legal"
    assert incident["urgency"] == "low"
    create = next(r for r in pagerduty.calls("POST") if r.path == "/incidents")
    assert create.headers["From"] == "incidentbot@example.com"
    await bot.command("role commander <@U_ALICE>", channel=channel)
    await bot.command("resolve --override handled", channel=channel)
    await bot.settle()
    assert incident["history"] == ["triggered", "acknowledged", "resolved"]
    assert pagerduty.incidents == 1
