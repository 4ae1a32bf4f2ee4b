"""Action items in Jira Cloud and Linear: created once, kept in step both ways, outages survived."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import Config
from bot.sandbox.stage import Stage
from tests.support.followup import (
    api_headers,
    items,
    open_incident,
    replies,
    start_clock,
    two_trackers,
)
from tests.support.jira import Jira
from tests.support.linear import Linear

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TEAM_ID = "8f1b3c2e-5d4a-4e6f-9a7b-0c1d2e3f4a5b"
ENV = {
    "JIRA_EMAIL": "bot@example.com",
    "JIRA_API_TOKEN": "jira-token",
    "JIRA_WEBHOOK_SECRET": "jira-secret",
    "LINEAR_API_KEY": "lin_api_key",
    "LINEAR_WEBHOOK_SECRET": "linear-secret",
}


@pytest.fixture
async def jira() -> AsyncIterator[Jira]:
    users = {"bob@example.com": "5b10ac8d82e05b22cc7d4ef5"}
    async with Jira(ENV["JIRA_EMAIL"], ENV["JIRA_API_TOKEN"], "AIQ", users) as running:
        yield running


@pytest.fixture
async def linear() -> AsyncIterator[Linear]:
    async with Linear(ENV["LINEAR_API_KEY"], TEAM_ID, {"carol@example.com": "u-carol"}) as running:
        yield running


@pytest.fixture
def config(jira: Jira, linear: Linear) -> Config:
    return Config.model_validate(
        {
            "channels": {"managers": "C_MANAGERS"},
            "web": {"public_url": "https://incidents.example.com"},
            **two_trackers(jira.url, linear.url, TEAM_ID),
        }
    )


@pytest.fixture
async def bot(stage: Stage) -> Stage:
    stage.deps.environ.update(ENV)
    start_clock(stage, MONDAY)
    return stage


async def add_item(stage: Stage, args: str) -> str:
    channel = next(
        (c.id for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")), None
    ) or await open_incident(stage)
    r = await stage.command(f"action add {args}", channel=channel)
    assert r.status_code == 200 and not r.content, r.text
    await stage.settle()
    return channel


async def post_webhook(stage: Stage, kind: str, body: dict[str, Any], secret: str) -> Any:
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    header = {
        "jira": ("X-Hub-Signature", f"sha256={digest}"),
        "linear": ("Linear-Signature", digest),
    }
    name, value = header[kind]
    return await stage.http.post(
        f"/integrations/{kind}",
        content=raw,
        headers={"Content-Type": "application/json", name: value},
    )


async def api_items(stage: Stage) -> list[dict[str, Any]]:
    r = await stage.http.get("/api/action-items", headers=api_headers(stage))
    assert r.status_code == 200
    return list(r.json())


async def test_jira_round_trip_create_once_then_close_in_jira(bot: Stage, jira: Jira) -> None:
    channel = await add_item(bot, '"Add refund-window eval case" <@U_BOB> eval_case')
    [issue] = jira.issues.values()
    assert issue["key"] == "AIQ-1" and issue["summary"] == "[eval case] Add refund-window eval case"
    assert issue["labels"] == ["incidentbot", "incidentbot-item-1", "eval_case"]
    assert issue["assignee"] == {"id": "5b10ac8d82e05b22cc7d4ef5"}  # Bob, mapped by email
    assert issue["duedate"] == "2026-12-07"
    link = issue["description"]["content"][1]["content"][0]
    assert link["marks"][0]["attrs"]["href"] == "https://incidents.example.com/ui/incidents/1"
    [shown] = await api_items(bot)
    assert (shown["tracker"], shown["tracker_issue"], shown["tracker_sync"]) == (
        "ai-jira",
        "AIQ-1",
        "synced",
    )
    assert shown["tracker_url"] == f"{jira.url}/browse/AIQ-1"

    body = jira.webhook("AIQ-1", to="Done", by="Jane Doe")
    r = await post_webhook(bot, "jira", body, ENV["JIRA_WEBHOOK_SECRET"])
    assert r.status_code == 200 and r.json() == {"item": 1, "state": "done"}
    await bot.settle()
    [row] = await items(bot)
    assert row.state == "done"
    [shown] = await api_items(bot)
    assert shown["state"] == "done" and shown["tracker_sync"] == "synced"
    assert len(jira.calls("POST")) == 1  # the create; nothing was sent back to Jira
    home = bot.slack.home("U_BOB")
    assert home is not None and "Recently done* (1)" in str(home.payload["blocks"])
    assert "AIQ-1" in str(home.payload["blocks"])
    await bot.command("actions", user="U_BOB", channel=channel)
    await bot.settle()
    assert "✅ Done" in replies(bot)[-1] and "AIQ-1" in replies(bot)[-1]
    csv_text = (await bot.http.get("/api/action-items?format=csv", headers=api_headers(bot))).text
    assert ",done," in csv_text and "AIQ-1,http" in csv_text and ",synced," in csv_text


async def test_the_digest_lists_what_was_finished_in_the_tracker(bot: Stage, jira: Jira) -> None:
    bot.slack.add_channel("managers", members=[bot.slack.bot_user_id], channel_id="C_MANAGERS")
    await add_item(bot, '"Add refund-window eval case" <@U_BOB> eval_case')
    body = jira.webhook("AIQ-1", to="Done")
    assert (await post_webhook(bot, "jira", body, ENV["JIRA_WEBHOOK_SECRET"])).status_code == 200
    bot.deps.clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    await bot.settle()
    [digest] = [m.text for m in bot.slack.messages("C_MANAGERS")]
    assert "✅ *Finished in the last week* (1)" in digest
    assert "#1 Add refund-window eval case — <@U_BOB>, done (incident #1)" in digest


async def test_changes_in_slack_move_the_jira_issue(bot: Stage, jira: Jira) -> None:
    channel = await add_item(bot, '"Add refund-window eval case" <@U_BOB> eval_case')
    await bot.command("action due 1 2026-12-21", user="U_BOB", channel=channel)
    await bot.settle()
    assert jira.issues["AIQ-1"]["duedate"] == "2026-12-21"
    await bot.click("action_item_start", "1", user="U_BOB", channel=channel)
    await bot.settle()
    assert jira.status("AIQ-1") == "In Progress"
    await bot.click("action_item_done", "1", user="U_BOB", channel=channel)
    await bot.settle()
    assert jira.status("AIQ-1") == "Done"
    assert len(jira.calls("POST")) == 3  # one create, two transitions


async def settle_for(stage: Stage, minutes: int) -> None:
    """Let the clock run in steps (retries wait their backoff), settling after each."""
    for _ in range(minutes):
        stage.deps.clock.advance(minutes=1)  # type: ignore[attr-defined]
        await stage.settle(rounds=1)


async def test_a_jira_outage_delays_and_a_lost_answer_makes_no_second_issue(
    bot: Stage, jira: Jira
) -> None:
    jira.fail_next(times=2, status=429)
    jira.fail_next(times=3, status=503)
    jira.lose_creates = 1  # then the create is carried out and its answer lost
    await add_item(bot, '"Add refund-window eval case" <@U_BOB> eval_case')
    [shown] = await api_items(bot)
    assert shown["tracker_sync"] == "retrying" and "HTTP 429" in shown["tracker_error"]
    assert jira.issues == {}
    await settle_for(bot, 20)
    assert list(jira.issues) == ["AIQ-1"]  # found again by its label, not created twice
    [shown] = await api_items(bot)
    assert (shown["tracker_sync"], shown["tracker_issue"]) == ("synced", "AIQ-1")
    assert [r.path for r in jira.calls("POST")].count("/rest/api/3/issue") == 1
    assert any(r.path == "/rest/api/3/search/jql" for r in jira.requests)


async def test_a_refusal_is_shown_on_the_item(bot: Stage, jira: Jira) -> None:
    jira.project = "OTHER"  # the project key no longer matches: Jira answers 400
    channel = await add_item(bot, '"Add refund-window eval case" <@U_BOB> eval_case')
    [shown] = await api_items(bot)
    assert shown["tracker_sync"] == "failed" and "HTTP 400" in shown["tracker_error"]
    message = next(m for m in bot.slack.messages(channel) if "Action item #1" in str(m.blocks))
    assert "❌ Jira refused the change" in str(message.blocks)


async def test_linear_round_trip_with_a_lost_answer(bot: Stage, linear: Linear) -> None:
    linear.fail_next(status=503)
    linear.lose_creates = 2  # carried out, answer lost; then refused as a duplicate id
    await add_item(bot, '"Alert on groundedness" <@U_CAROL> detection due 2026-11-30')
    assert linear.issues == {}
    await settle_for(bot, 10)
    [(issue_id, issue)] = linear.issues.items()
    [row] = await items(bot)
    [shown] = await api_items(bot)
    assert shown["tracker_issue"] == "AI-1" and shown["tracker_sync"] == "synced"
    assert issue["assigneeId"] == "u-carol" and issue["dueDate"] == "2026-11-30"
    assert sorted(linear.labels[i] for i in issue["labelIds"]) == ["detection", "incidentbot"]
    assert row.state == "open"

    body = linear.webhook(issue_id, to="Canceled", at=bot.deps.clock(), by="Lin Ear")
    r = await post_webhook(bot, "linear", body, ENV["LINEAR_WEBHOOK_SECRET"])
    assert r.status_code == 200, r.text
    await bot.settle()
    [row] = await items(bot)
    assert row.state == "wont_do" and row.reason == "closed as won't do in Linear (AI-1)"


async def test_webhooks_are_refused_unless_signed_and_fresh(bot: Stage, linear: Linear) -> None:
    await add_item(bot, '"Alert on groundedness" <@U_CAROL> detection')
    [issue_id] = linear.issues
    body = linear.webhook(issue_id, to="Done", at=bot.deps.clock())
    wrong = await post_webhook(bot, "linear", body, "not-the-secret")
    assert wrong.status_code == 401
    stale = body | {"webhookTimestamp": body["webhookTimestamp"] - 120_000}
    late = await post_webhook(bot, "linear", stale, ENV["LINEAR_WEBHOOK_SECRET"])
    assert late.status_code == 422 and late.json()["field"] == "webhookTimestamp"
    unsigned = await bot.http.post(
        "/integrations/jira", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert unsigned.status_code == 401
    assert (await bot.http.post("/integrations/github", content=b"{}")).status_code == 404
    [row] = await items(bot)
    assert row.state == "open"
    comment = linear.webhook(issue_id, to="Done", at=bot.deps.clock()) | {
        "updatedFrom": {"title": "old"}
    }
    ignored = await post_webhook(bot, "linear", comment, ENV["LINEAR_WEBHOOK_SECRET"])
    assert ignored.status_code == 200 and "ignored" in ignored.json()


async def test_the_web_page_shows_the_issue_and_its_sync(bot: Stage, jira: Jira) -> None:
    from tests.support.web import serve_pages, signed_in

    jira.fail_next(times=3, status=503)
    await add_item(bot, '"Add refund-window eval case" <@U_BOB> eval_case')
    serve_pages(bot)
    browser = await signed_in(bot, "U_BOB")
    page = (await browser.get("/ui/action-items")).text
    assert "Jira · unreachable, retrying: Jira: HTTP 503" in page
    await settle_for(bot, 10)
    page = (await browser.get("/ui/action-items")).text
    assert f'<a href="{jira.url}/browse/AIQ-1">Jira AIQ-1</a> · in step' in page
    await browser.aclose()
