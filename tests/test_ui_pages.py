"""The web pages over real HTTP: sessions, login links, CSRF, permissions, filters, escaping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.config import Config
from bot.sandbox.stage import Stage
from bot.slack.ids import BlockId
from tests.support.followup import items, open_incident, start_clock
from tests.support.web import csrf, login_link, serve_pages, signed_in

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SIGN_IN_ROUTES = {"/ui/login", "/ui/login/slack", "/ui/auth/slack", "/ui/login/link"}


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


async def seed(stage: Stage) -> str:
    """An incident with three items: Bob's, Carol's (overdue soon) and Dave's."""
    start_clock(stage, MONDAY)
    serve_pages(stage)
    channel = await open_incident(stage, severity="P1")
    for args in (
        '"Add refund eval <script>alert(1)</script>" <@U_BOB> eval_case',
        '"Groundedness monitor" <@U_CAROL> detection due 2026-11-24',
        '"Runbook for refunds" <@U_DAVE> runbook',
    ):
        await stage.command(f"action add {args}", user="U_ALICE", channel=channel)
        await stage.settle()
    return channel


def route_paths(routes: list[Any]) -> list[str]:
    """Every route's path, routers included by FastAPI looked into."""
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found += route_paths(inner.routes) if inner is not None else [getattr(route, "path", "")]
    return found


def rows(page: str) -> list[str]:
    return re.findall(r'<tr id="item-(\d+)"', page)


async def test_every_page_redirects_to_sign_in_without_a_session(stage: Stage) -> None:
    from bot.api.app import create_app

    await seed(stage)
    found = set(route_paths(create_app(stage.deps).routes))
    paths = sorted(p for p in found - SIGN_IN_ROUTES if p.startswith("/ui") and "static" not in p)
    assert len(paths) >= 8
    for path in paths:
        url = path.replace("{number}", "1").replace("{item_id}", "1")
        method = "POST" if path.endswith(("/state", "/logout")) else "GET"
        r = await stage.http.request(method, url, data={"to": "done"})
        assert r.status_code == 303, (path, r.status_code)
        assert r.headers["location"].startswith("/ui/login?next=%2Fui"), path
    assert [i.state for i in await items(stage)] == ["open"] * 3  # the POST changed nothing
    forged = stage.http.cookies
    forged.set("ib_session", "e30.forged", path="/ui")
    assert (await stage.http.get("/ui/incidents")).status_code == 303


async def test_login_link_signs_in_once_and_only_in_time(stage: Stage) -> None:
    clock = start_clock(stage, MONDAY)
    serve_pages(stage, login_link_minutes=15)
    link = await login_link(stage, "U_BOB")
    async with httpx.AsyncClient(base_url=stage.http.base_url) as browser:
        preview = await browser.get(link)  # a link preview must not use it up
        assert preview.status_code == 200 and "Sign in as Bob Baker" in preview.text
        token = link.split("token=", 1)[1]
        first = await browser.post("/ui/login/link", data={"token": token})
        assert first.status_code == 303 and "ib_session" in first.cookies
        page = await browser.get("/ui/action-items")
        assert page.status_code == 200 and "Bob Baker" in page.text
        again = await browser.post("/ui/login/link", data={"token": token})
        assert again.status_code == 400 and "used already" in again.text
        tampered = await browser.get("/ui/login/link", params={"token": token[:-2] + "xx"})
        assert tampered.status_code == 400 and "not valid" in tampered.text

    late = (await login_link(stage, "U_BOB")).split("token=", 1)[1]
    clock.advance(minutes=16)
    async with httpx.AsyncClient(base_url=stage.http.base_url) as browser:
        expired = await browser.post("/ui/login/link", data={"token": late})
        assert expired.status_code == 400 and "expired" in expired.text
        assert "ib_session" not in expired.cookies


async def test_sessions_expire_and_sign_out_ends_them(stage: Stage) -> None:
    clock = start_clock(stage, MONDAY)
    serve_pages(stage, session_hours=1)
    browser = await signed_in(stage, "U_BOB")
    page = await browser.get("/ui/incidents")
    assert page.status_code == 200
    assert (await browser.post("/ui/logout", data={"csrf": "wrong"})).status_code == 403
    out = await browser.post("/ui/logout", data={"csrf": csrf(page.text)})
    assert out.status_code == 303
    assert (await browser.get("/ui/incidents")).status_code == 303
    await browser.aclose()

    browser = await signed_in(stage, "U_BOB")
    clock.advance(minutes=61)
    assert (await browser.get("/ui/incidents")).status_code == 303
    await browser.aclose()


async def test_a_change_without_the_csrf_token_is_refused(stage: Stage) -> None:
    await seed(stage)
    browser = await signed_in(stage, "U_BOB")
    for form in ({"to": "done"}, {"to": "done", "csrf": "not-the-token"}):
        r = await browser.post("/ui/action-items/1/state", data=form)
        assert r.status_code == 403 and "reload the page" in r.text
    assert (await items(stage))[0].state == "open"
    page = await browser.get("/ui/action-items")
    done = await browser.post(
        "/ui/action-items/1/state",
        data={"to": "done", "csrf": csrf(page.text), "back": "/ui/action-items?team=Support+AI"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/action-items?team=Support+AI&changed=1#item-1"
    assert (await items(stage))[0].state == "done"
    await browser.aclose()


async def test_only_owners_and_managers_change_items_and_slack_follows(stage: Stage) -> None:
    channel = await seed(stage)
    carol = await signed_in(stage, "U_CAROL")
    page = (await carol.get("/ui/action-items")).text
    bob_row = page.split('<tr id="item-1"', 1)[1].split("</tr>", 1)[0]
    assert "Owner or manager" in bob_row and "<button" not in bob_row
    refused = await carol.post(
        "/ui/action-items/1/state",
        data={"to": "done", "csrf": csrf(page)},
        headers={"X-Requested-With": "fetch"},
    )
    assert refused.status_code == 403
    assert refused.text == "Only its owner (@Bob Baker) or a manager may change action item #1."
    assert (await items(stage))[0].state == "open"

    dave = await signed_in(stage, "U_DAVE")  # a manager
    page = (await dave.get("/ui/action-items")).text
    row = await dave.post(
        "/ui/action-items/1/state",
        data={"to": "done", "csrf": csrf(page), "back": "/ui/action-items"},
        headers={"X-Requested-With": "fetch"},
    )
    assert row.status_code == 200 and row.text.strip().startswith('<tr id="item-1"')
    assert "state-done" in row.text and "Reopen" in row.text
    await stage.settle()
    card = next(
        m
        for m in stage.slack.messages(channel)
        if m.blocks and m.blocks[0].get("block_id") == f"{BlockId.ITEM}:1"
    )
    assert "Reopen" in str(card.blocks) and card.edits
    home = stage.slack.home("U_BOB")
    assert home is not None and "Recently done* (1)" in str(home.payload["blocks"])
    wont = await dave.post(
        "/ui/action-items/2/state", data={"to": "wont_do", "csrf": csrf(page), "reason": " "}
    )
    assert wont.status_code == 400 and "say why" in wont.text
    await carol.aclose()
    await dave.aclose()


async def test_filters_sorting_counts_and_escaping(stage: Stage) -> None:
    await seed(stage)
    start_clock(stage, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    browser = await signed_in(stage, "U_ALICE")
    everything = (await browser.get("/ui/action-items")).text
    assert rows(everything) == ["2", "1", "3"]  # earliest due first
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in everything and "<script>alert" not in everything
    )
    assert re.search(r"Platform</a>\s*</th>\s*<td>2</td>\s*<td><a class=\"late\"", everything)
    overdue = (await browser.get("/ui/action-items?team=platform&overdue=1")).text
    assert rows(overdue) == ["2"] and "1 item overdue" in overdue and "2 d overdue" in overdue
    by_owner = (await browser.get("/ui/action-items?sort=owner&desc=1")).text
    assert rows(by_owner) == ["3", "2", "1"] and 'aria-sort="descending"' in by_owner
    assert rows((await browser.get("/ui/action-items?kind=runbook&incident=1")).text) == ["3"]
    bad = await browser.get("/ui/action-items?state=lost")
    assert bad.status_code == 400 and "not one this page knows" in bad.text
    missing = await browser.get("/ui/action-items?incident=99")
    assert missing.status_code == 404
    await browser.aclose()


async def test_incident_pages_and_response_times(stage: Stage) -> None:
    await seed(stage)
    browser = await signed_in(stage, "U_BOB")
    listing = await browser.get("/ui/incidents?severity=P1&sort=declared")
    assert listing.status_code == 200 and "Support assistant quotes" in listing.text
    assert (await browser.get("/ui/incidents?severity=P9")).status_code == 400
    page = await browser.get("/ui/incidents/1")
    assert page.status_code == 200
    assert "Alice Archer" in page.text and "@U_ALICE" not in page.text  # people by name
    assert "Timeline" in page.text and "Containment" in page.text
    assert (await browser.get("/ui/incidents/42")).status_code == 404
    postmortem = await browser.get("/ui/incidents/1/postmortem")
    assert (
        postmortem.status_code == 200 and "<h1>" in postmortem.text and "<table>" in postmortem.text
    )
    times = await browser.get("/ui/response-times?days=30")
    assert times.status_code == 200 and times.text.count("<svg") == 4
    assert "Median time to acknowledge per period with incidents" in times.text
    assert (await browser.get("/ui/response-times?days=7")).status_code == 400
    headers = times.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store" and headers["server-timing"].startswith(
        "app;dur="
    )
    await browser.aclose()


async def test_web_command_needs_a_public_url(stage: Stage) -> None:
    await stage.command("web", user="U_BOB")
    await stage.settle()
    from tests.support.followup import replies

    assert "web.public_url" in replies(stage)[-1]
    r = await stage.command("web now", user="U_BOB")
    assert "Usage: `/incident web`" in r.json()["text"]


def test_sign_in_claims_are_checked() -> None:
    from bot.identity import SignInFailed
    from bot.ui.auth import check_claims

    good = {
        "iss": "https://slack.com",
        "aud": "A1",
        "nonce": "n1",
        "exp": (datetime.now(UTC) + timedelta(minutes=5)).timestamp(),
    }
    check_claims(good, nonce="n1", client_id="A1")
    for bad, why in (
        ({"aud": "other"}, "another app"),
        ({"nonce": "n2"}, "does not match"),
        ({"exp": 1}, "expired"),
    ):
        with pytest.raises(SignInFailed, match=why):
            check_claims({**good, **bad}, nonce="n1", client_id="A1")


async def test_sign_in_with_slack(stage: Stage) -> None:
    from pydantic import SecretStr

    url = serve_pages(stage)
    app = stage.slack.workspace.settings
    stage.deps.settings = stage.deps.settings.model_copy(
        update={
            "slack_client_id": app.client_id,
            "slack_client_secret": SecretStr(app.client_secret),
        }
    )

    async def through_slack(browser: httpx.AsyncClient, choice: dict[str, str]) -> httpx.Response:
        login = await browser.get("/ui/login", params={"next": "/ui/incidents"})
        assert 'href="/ui/login/slack?next=/ui/incidents"' in login.text
        start = await browser.get("/ui/login/slack", params={"next": "/ui/incidents"})
        assert start.status_code == 303 and start.headers["location"].startswith(
            stage.slack.authorize_url + "?response_type=code&scope=openid+profile+email"
        )
        async with httpx.AsyncClient() as slack_page:
            consent = await slack_page.get(start.headers["location"])
            assert consent.status_code == 200 and "Sign in to Fake Workspace" in consent.text
            fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
            assert fields["redirect_uri"] == f"{url}/ui/auth/slack" and fields["team"] == "T_FAKE"
            back = await slack_page.post(stage.slack.authorize_url, data={**fields, **choice})
        assert back.status_code == 302
        return await browser.get(back.headers["location"])

    async with httpx.AsyncClient(base_url=url) as browser:
        done = await through_slack(browser, {"user": "U_CAROL"})
        assert done.status_code == 303 and done.headers["location"] == "/ui/incidents"
        page = await browser.get("/ui/incidents")
        assert (
            page.status_code == 200 and "Carol Chen" in page.text and "Asia/Singapore" in page.text
        )
        assert [c.ok for c in stage.slack.calls("openid.connect.token")] == [True]
        assert [c.ok for c in stage.slack.calls("openid.connect.userInfo")] == [True]
    async with httpx.AsyncClient(base_url=url) as browser:
        cancelled = await through_slack(browser, {"deny": "1"})
        assert cancelled.status_code == 400 and "Sign-in was cancelled" in cancelled.text
        forged = await browser.get("/ui/auth/slack", params={"code": "x", "state": "y"})
        assert forged.status_code == 400 and "ib_session" not in forged.cookies


def test_chart_geometry_and_axis_labels() -> None:
    from bot.ui import charts
    from bot.ui.stats import axis_label

    assert charts.nice_ticks(83) == [0, 25, 50, 75, 100]
    assert charts.nice_ticks(0) == [0.0, 1.0]
    assert [axis_label(m) for m in (0, 45, 150, 4320)] == ["0", "45m", "2.5h", "3d"]
    chart = charts.line_chart(
        "Median time to contain", ["w1", "w2", "w3"], [("P1", "series-0", [10, None, 30])], str
    )
    [line] = chart.lines
    assert line.path.count("M") == 2 and "L" not in line.path  # a gap lifts the pen
    assert [label for *_, label in line.dots] == ["P1 w1: 10", "P1 w3: 30"]
    assert chart.x_ticks[0][2] == "middle" and chart.y_ticks[-1][1] == "30"
