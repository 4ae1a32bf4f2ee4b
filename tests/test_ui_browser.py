"""The web pages in a real Chromium: sign in, filter, mark done, incident, postmortem, charts.

Screenshots of every page at desktop and phone width go to the folder the test prints
(UI_ARTIFACTS, default ./test-artifacts/ui).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from bot.config import Config
from bot.sandbox.stage import Stage
from bot.slack.ids import BlockId
from tests.support.browser import DESKTOP, PHONE, artifacts_dir, chromium, require_chromium
from tests.support.followup import contain, items, open_incident, post_eval, start_clock
from tests.support.web import login_link, serve_pages

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    require_chromium()


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "followup": {
                "teams": {"Support AI": ["U_BOB"], "Platform": ["U_CAROL", "U_DAVE"]},
                "managers": ["U_DAVE"],
            }
        }
    )


async def history(stage: Stage) -> str:
    """Three incidents over the last weeks, contained and resolved; items on the newest."""
    clock = start_clock(stage, NOW - timedelta(days=40))
    channel = ""
    for kind, severity, gap in (
        ("hallucination", "P1", 14),
        ("quality_regression", "P2", 12),
        ("retrieval_context", "P1", 6),
    ):
        clock.advance(days=gap)
        channel = await open_incident(stage, incident_type=kind, severity=severity)
        await post_eval(stage, 61, 100, at=clock.now - timedelta(hours=1))
        clock.advance(minutes=25 * (3 if severity == "P2" else 1))
        await contain(stage, channel)
        clock.advance(hours=2)
        await post_eval(stage, 97, 100, at=clock.now)
        await stage.command("resolve --override eval suite rerun", user="U_ALICE", channel=channel)
        await stage.settle()
    clock.advance(hours=1)  # the newest incident's postmortem items, due three days later
    for args in (
        '"Add refund-window eval case" <@U_BOB> eval_case',
        '"Alert on groundedness below 0.8" <@U_CAROL> detection',
        '"Runbook: stale index rebuild" <@U_DAVE> runbook',
        '"Guardrail for policy quotes" <@U_CAROL> guardrail',
    ):
        due = (clock.now + timedelta(days=3)).date()
        await stage.command(f"action add {args} due {due}", user="U_ALICE", channel=channel)
        await stage.settle()
    clock.now = NOW
    return channel


async def test_a_manager_works_through_the_pages_in_chromium(stage: Stage) -> None:
    channel = await history(stage)
    url = serve_pages(stage)
    print(f"\nscreenshots: {artifacts_dir()}")
    async with chromium(url) as browser:
        await browser.go(await login_link(stage, "U_DAVE"))
        assert "Sign in as Dave Diaz" in await browser.text("h1")
        await browser.screenshot("sign-in-link", DESKTOP)
        await browser.click("main form button[type=submit]")
        await browser.wait_for(lambda: browser.driver.current_url.endswith("/ui/action-items"))
        assert "Dave Diaz" in await browser.text("header")

        # Filter: overdue items of team Platform.
        from selenium.webdriver.support.ui import Select

        team = await browser.find("#f-team")
        await browser.run(lambda: Select(team).select_by_visible_text("Platform"))
        await browser.click("#f-overdue")
        await browser.click(".filters button[type=submit]")
        await browser.wait_for(lambda: "overdue=1" in browser.driver.current_url)
        rows = await browser.find_all("table.items tbody tr")
        assert len(rows) == 3
        assert "3 items overdue" in await browser.text("#list-heading")
        for size in (DESKTOP, PHONE):
            await browser.screenshot("action-items", size)

        # Mark Carol's groundedness alert done, inline.
        await browser.click("#item-2 button[aria-label='Done: action item #2']")
        await browser.wait_for(
            lambda: "done" in browser.driver.find_element("css selector", "#item-2 .state").text
        )
        assert "is now done" in await browser.text("#status")
        await stage.settle()
        assert (await items(stage))[1].state == "done"
        card = next(
            m
            for m in stage.slack.messages(channel)
            if m.blocks and m.blocks[0].get("block_id") == f"{BlockId.ITEM}:2"
        )
        assert "Reopen" in str(card.blocks) and card.edits  # the Slack card was edited
        home = stage.slack.home("U_CAROL")
        assert home is not None and "Recently done* (1)" in str(home.payload["blocks"])

        # The incident and its postmortem.
        await browser.click("#item-2 td[data-label=Incident] a")
        await browser.wait_for(lambda: "/ui/incidents/3" in browser.driver.current_url)
        assert "Timeline" in await browser.text("main")
        assert len(await browser.find_all("figure.chart svg")) == 1  # eval pass rate
        for size in (DESKTOP, PHONE):
            await browser.screenshot("incident", size)
        await browser.click("a.button[href$='/postmortem']")
        await browser.wait_for(lambda: browser.driver.current_url.endswith("/postmortem"))
        assert "Action items" in await browser.text("article.markdown")
        for size in (DESKTOP, PHONE):
            await browser.screenshot("postmortem", size)

        # Response times: a chart and a table per measure.
        await browser.click("nav a[href='/ui/response-times']")
        await browser.wait_for(lambda: "response-times" in browser.driver.current_url)
        assert len(await browser.find_all("section.trend svg")) == 4
        assert "Hallucination" in await browser.text("#by-type + div")
        for size in (DESKTOP, PHONE):
            await browser.screenshot("response-times", size)
        await browser.go("/ui/incidents")
        for size in (DESKTOP, PHONE):
            await browser.screenshot("incidents", size)


async def test_keyboard_and_no_javascript_and_sign_in_with_slack(stage: Stage) -> None:
    await history(stage)
    url = serve_pages(stage)
    app = stage.slack.workspace.settings
    stage.deps.settings = stage.deps.settings.model_copy(
        update={
            "slack_client_id": app.client_id,
            "slack_client_secret": SecretStr(app.client_secret),
        }
    )
    async with chromium(url, javascript=False) as browser:
        await browser.go("/ui/action-items?state=any")
        assert (await browser.path()).startswith("/ui/login?next=")
        await browser.screenshot("sign-in", DESKTOP)
        await browser.click("a.button.primary")  # Sign in with Slack
        assert "Sign in to Fake Workspace" in await browser.text("h1")
        await browser.click("button[value=U_BOB]")
        await browser.wait_for(lambda: "/ui/action-items" in browser.driver.current_url)
        assert "Bob Baker" in await browser.text("header")

        from selenium.webdriver.common.keys import Keys

        body = await browser.find("body")
        await browser.run(body.send_keys, Keys.TAB)
        focused = await browser.run(lambda: browser.driver.switch_to.active_element.text)
        assert focused == "Skip to content"

        await browser.click("#item-1 button[aria-label='Start: action item #1']")  # a plain post
        await browser.wait_for(lambda: "changed=1" in browser.driver.current_url)
        assert "Action item #1 changed" in await browser.text("main")
        assert "in progress" in await browser.text("#item-1 .state")
        assert not await browser.find_all("#item-2 button")  # Carol's: Bob may not change it
