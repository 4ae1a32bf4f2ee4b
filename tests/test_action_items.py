"""Action items: `/incident action`, buttons and the won't-do modal, lists, the API, App Home."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.config import Config
from bot.sandbox.slack import signing
from bot.sandbox.stage import Stage
from bot.slack.ids import ActionId, BlockId, CallbackId
from tests.support.followup import (
    api_headers,
    events,
    items,
    open_incident,
    replies,
    start_clock,
)

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "channels": {"managers": "C_MANAGERS"},
            "followup": {
                "teams": {"Support AI": ["U_BOB"], "Platform": ["U_CAROL", "U_DAVE"]},
                "managers": ["U_DAVE"],
            },
        }
    )


def buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def add(stage: Stage, channel: str, args: str, user: str = "U_ALICE") -> None:
    r = await stage.command(f"action add {args}", user=user, channel=channel)
    assert r.status_code == 200 and not r.content, r.text
    await stage.settle()


def item_message(stage: Stage, channel: str, item_id: int) -> Any:
    return next(
        m
        for m in stage.slack.messages(channel)
        if m.blocks and m.blocks[0].get("block_id") == f"{BlockId.ITEM}:{item_id}"
    )


async def test_add_defaults_due_date_by_severity_team_and_posts_the_item(stage: Stage) -> None:
    start_clock(stage, MONDAY)
    channel = await open_incident(stage, severity="P2")
    await add(stage, channel, '"Add refund-window eval case" <@U_BOB> eval_case')
    await add(stage, channel, "“Alert on groundedness &lt; 0.8” <@U_CAROL|carol> due 2026-11-30")

    first, second = await items(stage)
    assert (first.due_on, first.team, first.kind, first.state) == (
        date(2026, 12, 7),  # P2: 14 days
        "Support AI",
        "eval_case",
        "open",
    )
    assert (second.text, second.due_on, second.kind) == (
        "Alert on groundedness < 0.8",
        date(2026, 11, 30),
        "other",
    )
    assert (
        "📌 Added *#1* Eval case: Add refund-window eval case — <@U_BOB>, due 2026-12-07"
        in (replies(stage)[-2])
    )
    message = item_message(stage, channel, first.id)
    assert buttons(message.blocks) == ["Start", "Done", "Won't do"]
    assert first.message_ts == message.ts and first.channel_id == channel
    assert "Alert on groundedness &lt; 0.8" in str(item_message(stage, channel, second.id).blocks)
    added = await events(stage, "action_item")
    assert [e.data["item"] for e in added] == [1, 2] and "added for <@U_BOB>" in added[0].text


async def test_buttons_and_wont_do_modal_move_the_item(stage: Stage) -> None:
    start_clock(stage, MONDAY)
    channel = await open_incident(stage)
    await add(stage, channel, '"Add refund eval" <@U_BOB> eval_case')
    message = item_message(stage, channel, 1)

    async def click(action: ActionId, user: str = "U_BOB") -> None:
        await stage.click(action, "1", user=user, channel=channel, message_ts=message.ts)
        await stage.settle()

    await click(ActionId.ITEM_START)
    assert (await items(stage))[0].state == "in_progress"
    assert buttons(item_message(stage, channel, 1).blocks) == ["Done", "Won't do"]

    await click(ActionId.ITEM_WONT_DO)
    await stage.eventually(
        lambda: any(v.callback_id == CallbackId.ITEM_WONT_DO for v in stage.slack.views())
    )
    view = stage.slack.view_payload(stage.slack.views()[-1])
    empty = signing.text_inputs({BlockId.ITEM_REASON: {ActionId.ITEM_REASON: "  "}})
    refused = await stage.submit(view, empty, user="U_BOB")
    assert refused.json()["errors"] == {
        BlockId.ITEM_REASON: "Say why, so the postmortem can show it."
    }
    reason = {BlockId.ITEM_REASON: {ActionId.ITEM_REASON: "Covered by <suite> #41"}}
    assert (await stage.submit(view, signing.text_inputs(reason), user="U_BOB")).status_code == 200
    await stage.settle()
    row = (await items(stage))[0]
    assert (row.state, row.reason) == ("wont_do", "Covered by <suite> #41")
    shown = item_message(stage, channel, 1)
    assert buttons(shown.blocks) == ["Reopen"] and "Covered by &lt;suite&gt; #41" in str(
        shown.blocks
    )

    await click(ActionId.ITEM_REOPEN)
    await click(ActionId.ITEM_DONE)
    row = (await items(stage))[0]
    assert (row.state, row.reason) == ("done", None) and row.done_at == MONDAY
    history = [e.text.split("” ", 1)[1] for e in await events(stage, "action_item")]
    assert history == [
        "added for <@U_BOB>, due 2026-12-07",
        "started",
        "won't do: Covered by <suite> #41",
        "reopened",
        "done",
    ]
    await click(ActionId.ITEM_DONE)  # a stale button: refused with a clear message
    assert "already done" in replies(stage)[-1]


async def test_only_the_owner_or_a_manager_may_change_an_item(stage: Stage) -> None:
    start_clock(stage, MONDAY)
    channel = await open_incident(stage)
    await add(stage, channel, '"Add refund eval" <@U_BOB> eval_case')
    message = item_message(stage, channel, 1)
    await stage.click(
        ActionId.ITEM_DONE, "1", user="U_CAROL", channel=channel, message_ts=message.ts
    )
    await stage.click(ActionId.ITEM_WONT_DO, "1", user="U_CAROL", channel=channel)
    await stage.command("action due 1 2026-12-21", user="U_CAROL", channel=channel)
    await stage.settle()
    refused = "⚠️ Only its owner (<@U_BOB>) or a manager may change action item #1."
    assert replies(stage)[-3:] == [refused] * 3
    assert not any(v.callback_id == CallbackId.ITEM_WONT_DO for v in stage.slack.views())
    row = (await items(stage))[0]
    assert (row.state, row.due_on) == ("open", date(2026, 12, 7))

    await stage.click(
        ActionId.ITEM_DONE, "1", user="U_DAVE", channel=channel, message_ts=message.ts
    )
    await stage.settle()
    assert (await items(stage))[0].state == "done"  # Dave is a manager
    assert "Done" in str(item_message(stage, channel, 1).blocks)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("action add no quotes <@U_BOB>", "put the action item text in quotes"),
        ('action add "x" <@U_BOB> eval_case detection', "unexpected 'detection'"),
        ("action remove 1", "Usage: `/incident action add"),
        ("action due 1 tomorrow", "due date must look like 2026-12-01"),
        ("actions everyone", "Usage: /incident actions"),
        ("postmortem now", "Usage: /incident postmortem"),
        ("stats -3", "days must be 1 to 3650"),
    ],
)
async def test_usage_errors_are_answered_at_once(stage: Stage, text: str, expected: str) -> None:
    r = await stage.command(text, channel="C_GENERAL")
    assert r.json()["response_type"] == "ephemeral" and expected in r.json()["text"]


async def test_add_needs_an_incident_channel_and_a_future_date(stage: Stage) -> None:
    start_clock(stage, MONDAY)
    await stage.command('action add "x" <@U_BOB>', channel="C_GENERAL")
    await stage.settle()
    assert "works inside an incident channel" in replies(stage)[-1]
    channel = await open_incident(stage)
    await stage.command('action add "x" <@U_BOB> due 2026-01-01', channel=channel)
    await stage.settle()
    assert "the due date 2026-01-01 is in the past" in replies(stage)[-1]
    assert await items(stage) == []


async def seed_items(stage: Stage) -> str:
    start_clock(stage, MONDAY)
    channel = await open_incident(stage, severity="P1")  # due in 7 days
    await add(stage, channel, '"=HYPERLINK(\\"x\\") eval" <@U_BOB> eval_case')
    await add(stage, channel, '"Groundedness monitor" <@U_CAROL> detection due 2026-11-24')
    await add(stage, channel, '"Runbook for refunds" <@U_DAVE> runbook')
    message = item_message(stage, channel, 3)
    await stage.click(
        ActionId.ITEM_DONE, "3", user="U_DAVE", channel=channel, message_ts=message.ts
    )
    await stage.settle()
    return channel


async def test_actions_lists_by_scope(stage: Stage) -> None:
    channel = await seed_items(stage)
    clock = start_clock(stage, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))

    async def listed(text: str, user: str = "U_BOB", where: str = "C_GENERAL") -> str:
        await stage.command(text, user=user, channel=where)
        await stage.settle()
        return replies(stage)[-1]

    here = await listed("actions", where=channel)
    assert here.startswith("*Action items of incident #1* (3)") and "#3" in here
    mine = await listed("actions")
    assert mine.startswith("*Your open action items* (1)") and "due 2026-11-30 (in 4 days)" in mine
    assert "(1)" in await listed("actions <@U_CAROL>")
    team = await listed("actions team platform")
    assert "Groundedness monitor" in team and "Runbook" not in team  # done items are not open
    overdue = await listed("actions overdue")
    assert overdue.startswith("*Overdue action items* (1)") and "2 days overdue" in overdue
    assert clock.now.date() == date(2026, 11, 26)


async def test_api_lists_action_items_as_json_and_csv(stage: Stage) -> None:
    await seed_items(stage)
    start_clock(stage, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))

    async def get(query: str = "", **headers: str) -> Any:
        r = await stage.http.get(f"/api/action-items{query}", headers=api_headers(stage, **headers))
        assert r.status_code == 200, r.text
        return r

    everything = (await get()).json()
    assert [i["id"] for i in everything] == [2, 1, 3]  # earliest due first
    assert everything[0] | {"created_at": None} == {
        "id": 2,
        "incident": 1,
        "incident_title": "Support assistant quotes a 60-day refund window",
        "text": "Groundedness monitor",
        "owner": "U_CAROL",
        "team": "Platform",
        "kind": "detection",
        "state": "open",
        "due": "2026-11-24",
        "overdue": True,
        "reason": None,
        "created_by": "U_ALICE",
        "created_at": None,
        "done_at": None,
        "tracker": None,  # no tracker configured: the item lives in the bot only
        "tracker_issue": None,
        "tracker_url": None,
        "tracker_sync": None,
        "tracker_error": None,
    }
    for query, ids in [
        ("?owner=U_BOB", [1]),
        ("?team=platform", [2, 3]),
        ("?state=done", [3]),
        ("?kind=detection", [2]),
        ("?overdue=true", [2]),
        ("?overdue=false", [1, 3]),
        ("?incident=1&kind=eval_case", [1]),
    ]:
        assert [i["id"] for i in (await get(query)).json()] == ids, query
    assert (
        await stage.http.get("/api/action-items?incident=9", headers=api_headers(stage))
    ).status_code == 404
    as_csv = await get("?format=csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["id"] for r in rows] == ["2", "1", "3"]
    assert rows[1]["text"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    by_accept = await get("?owner=U_DAVE", Accept="text/csv")
    assert by_accept.text.splitlines()[1].startswith("3,1,")
    assert (await stage.http.get("/api/action-items")).status_code == 401
    spec = (await stage.http.get("/openapi.json")).json()
    assert "/api/action-items" in spec["paths"] and "ActionItemOut" in spec["components"]["schemas"]
    assert "text/csv" in spec["paths"]["/api/action-items"]["get"]["responses"]["200"]["content"]


async def test_app_home_shows_sections_and_its_buttons_work(stage: Stage) -> None:
    channel = await seed_items(stage)
    for n in range(12):
        await add(stage, channel, f'"Guardrail {n}" <@U_BOB> guardrail')
    start_clock(stage, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    await stage.event({"type": "app_home_opened", "user": "U_BOB", "channel": "D1", "tab": "home"})
    await stage.settle()
    home = stage.slack.home("U_BOB")
    assert home is not None
    blocks = home.payload["blocks"]
    shown = str(blocks)
    assert len(blocks) <= 100
    for title in ("My items* (13)", "My team's* (0)", "Overdue* (1)", "Recently done* (1)"):
        assert title in shown
    assert "…and 6 more" in shown
    published = len(home.history)

    view = stage.slack.view_payload(home)
    click = signing.block_action(
        stage.secret,
        user_id="U_BOB",
        action_id=ActionId.ITEM_DONE,
        value="1",
        view=view,
        trigger_id=stage.slack.issue_trigger_id("U_BOB"),
    )
    assert (await stage.send(click)).status_code == 200
    await stage.settle()
    assert (await items(stage))[0].state == "done"
    republished = stage.slack.home("U_BOB")
    assert republished is not None and len(republished.history) == published + 1  # once
    assert "My items* (12)" in str(republished.payload["blocks"])


async def test_due_date_change_moves_the_reminders(stage: Stage) -> None:
    from bot.jobs import queue

    start_clock(stage, MONDAY)
    channel = await open_incident(stage)
    await add(stage, channel, '"Add refund eval" <@U_BOB> eval_case due 2026-12-07')
    await stage.command("action due #1 2026-12-21", user="U_BOB", channel="C_GENERAL")
    await stage.settle()
    assert "now due 2026-12-21" in replies(stage)[-1]
    assert (await items(stage))[0].due_on == date(2026, 12, 21)
    async with stage.deps.sessions() as session:
        pending = {(w.kind, w.subject_key) for w in await queue.pending(session=session)}
    assert ("followup.remind", "1:2026-12-21") in pending
    assert not any(key.endswith("2026-12-07") for _, key in pending)
    assert "due date 2026-12-07 → 2026-12-21" in (await events(stage, "action_item"))[-1].text


def test_home_view_stays_within_slack_limits_when_every_section_is_full() -> None:
    from bot.flows.action_items import HomeData
    from bot.postmortem.store import ItemRecord
    from bot.slack.blocks.home import home_view
    from bot.vocabulary import ActionKind, ActionState

    def record(n: int, state: ActionState) -> ItemRecord:
        return ItemRecord(
            id=n,
            incident_id=1,
            incident_number=1,
            incident_title="t",
            incident_channel="C1",
            text="<!channel> " + "x" * 4000,
            owner_id="U_BOB",
            team="Support AI",
            kind=ActionKind.EVAL_CASE,
            state=state,
            due=date(2026, 11, 30),
            reason="r" * 3000 if state is ActionState.WONT_DO else None,
            created_by="U_ALICE",
            created_at=MONDAY,
            done_at=None,
            channel_id=None,
            message_ts=None,
        )

    active = tuple(record(n, ActionState.OPEN) for n in range(50))
    done = tuple(record(n, ActionState.WONT_DO) for n in range(50))
    view = home_view(
        HomeData("U_BOB", ("Support AI",), date(2026, 12, 1), active, active, active, done)
    )
    payload = view.to_dict()
    assert len(payload["blocks"]) <= 100
    ids = [b["block_id"] for b in payload["blocks"] if "block_id" in b]
    assert len(ids) == len(set(ids))
    for block in payload["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= 3000 and "<!channel>" not in text
