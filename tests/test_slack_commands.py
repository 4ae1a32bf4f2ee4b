"""`/incident` subcommands, modals, permissions, events and signatures, over signed HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select

from bot.db import session_scope
from bot.models import Incident, TimelineEvent
from bot.sandbox.slack import signing
from bot.sandbox.stage import Stage
from bot.slack.ids import ActionId, BlockId


async def declared(stage: Stage, title: str = "Smart Reply suggests rude replies") -> str:
    """Declare through the modal as U_ALICE; return the new channel id."""
    r = await stage.command(f"declare {title}")
    assert r.status_code == 200
    await stage.eventually(lambda: bool(stage.slack.views()))
    view = stage.slack.view_payload(stage.slack.views()[-1])
    values = view_values(title=title, type_="safety_violation", severity="P1")
    assert (await stage.submit(view, values, user="U_ALICE")).status_code == 200
    await stage.eventually(
        lambda: any(c.name.startswith("inc-") for c in stage.slack.workspace.channels.values())
    )
    await stage.settle()
    return next(c.id for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-"))


def view_values(*, title: str, type_: str, severity: str) -> dict[str, Any]:
    values = signing.text_inputs(
        {
            BlockId.DECLARE_TITLE: {ActionId.DECLARE_TITLE: title},
            BlockId.DECLARE_FEATURE: {ActionId.DECLARE_FEATURE: "smart-reply"},
        }
    )
    values[BlockId.DECLARE_TYPE] = {
        ActionId.DECLARE_TYPE: {"type": "static_select", "selected_option": {"value": type_}}
    }
    values[BlockId.DECLARE_SEVERITY] = {
        ActionId.DECLARE_SEVERITY: {"type": "static_select", "selected_option": {"value": severity}}
    }
    return values


def last_response(stage: Stage) -> dict[str, Any]:
    return stage.slack.responses()[-1].body


async def timeline(stage: Stage) -> list[TimelineEvent]:
    async with session_scope(stage.deps.sessions) as s:
        return list((await s.scalars(select(TimelineEvent).order_by(TimelineEvent.id))).all())


async def test_declare_modal_opens_channel_with_declarer(stage: Stage) -> None:
    channel = await declared(stage)
    assert "U_ALICE" in stage.slack.members(channel)
    assert stage.slack.topic(channel).startswith("P1 · Safety violation")
    summary = str(stage.slack.pins(channel)[0].blocks)
    assert "I'll be safety lead" in summary  # safety incidents require a safety lead
    assert any("Incident #1 declared" in e.text for e in stage.slack.ephemerals(user="U_ALICE"))


async def test_wrong_arguments_get_ephemeral_usage(stage: Stage) -> None:
    for text, expected in [
        ("severity P9", "Usage: `/incident severity"),
        ("role boss <@U_BOB>", "is not a role"),
        ("role commander bob", "Mention the person"),
        ("frobnicate", "I don't know `frobnicate`"),
        ("note", "Usage: `/incident note"),
    ]:
        r = await stage.command(text)
        assert r.status_code == 200
        assert r.json()["response_type"] == "ephemeral" and expected in r.json()["text"], text


async def test_help_lists_every_subcommand(stage: Stage) -> None:
    await stage.command("help")
    await stage.eventually(lambda: bool(stage.slack.responses()))
    text = last_response(stage)["text"]
    for sub in (
        "declare",
        "status",
        "list",
        "role",
        "severity",
        "type",
        "update",
        "note",
        "resolve",
        "reopen",
        "help",
    ):
        assert f"/incident {sub}" in text


async def test_incident_command_outside_incident_channel_is_a_clear_error(stage: Stage) -> None:
    await stage.command("severity P2", channel="C_GENERAL")
    await stage.eventually(lambda: bool(stage.slack.responses()))
    body = last_response(stage)
    assert body["response_type"] == "ephemeral"
    assert "works inside an incident channel" in body["text"]


async def test_roles_permissions_and_lifecycle(stage: Stage) -> None:
    channel = await declared(stage)
    await stage.command("severity P2", user="U_BOB", channel=channel)
    await stage.eventually(lambda: bool(stage.slack.responses()))
    refusal = last_response(stage)["text"]
    assert "Only the commander may change the severity" in refusal
    await stage.command("role commander <@U_BOB|bob>", user="U_ALICE", channel=channel)
    await stage.settle()  # the role is committed before Bob uses it
    await stage.command("severity P2", user="U_BOB", channel=channel)
    await stage.command("type hallucination", user="U_BOB", channel=channel)
    await stage.settle()
    await stage.command("role commander <@U_CAROL>", user="U_BOB", channel=channel)
    await stage.settle()
    texts = [m.text for m in stage.slack.messages(channel)]
    assert any("handed *commander* over to <@U_CAROL>" in t for t in texts)
    await stage.command(
        "resolve --override fixed by prompt rollback", user="U_CAROL", channel=channel
    )
    await stage.settle()
    async with session_scope(stage.deps.sessions) as s:
        incident = (await s.scalars(select(Incident))).one()
    assert (incident.severity, incident.type, incident.status) == (
        "P2",
        "hallucination",
        "resolved",
    )
    assert incident.open_group_key is None and incident.resolved_at is not None
    await stage.command("reopen", user="U_CAROL", channel=channel)
    await stage.settle()
    kinds = [e.kind for e in await timeline(stage)]
    assert kinds.count("role") == 2 and "severity" in kinds and "type" in kinds
    assert kinds.count("status") == 2
    assert "commander <@U_CAROL>" in stage.slack.topic(channel)


async def test_invalid_transition_is_refused_with_reason(stage: Stage) -> None:
    channel = await declared(stage)
    await stage.command("reopen", channel=channel)
    await stage.eventually(lambda: bool(stage.slack.responses()))
    assert "the incident is still open (triage); nothing to reopen" in last_response(stage)["text"]


async def test_notes_and_updates_are_escaped(stage: Stage) -> None:
    channel = await declared(stage)
    hostile = 'payload "quoted" 🚨 <!channel> <https://evil.example|click>'
    await stage.command(f"note {hostile}", channel=channel)
    await stage.command(f"update {hostile}", channel=channel)
    await stage.settle()
    notes = [e for e in await timeline(stage) if e.kind in ("note", "update")]
    assert [e.text for e in notes] == [hostile, hostile]
    [posted] = [m.text for m in stage.slack.messages(channel) if "Status update" in m.text]
    assert "&lt;!channel&gt;" in posted and "<!channel>" not in posted
    assert "<https://evil" not in posted


async def test_update_modal_moves_status(stage: Stage) -> None:
    channel = await declared(stage)
    await stage.command("update", channel=channel)
    await stage.eventually(lambda: len(stage.slack.views()) == 2)
    view = stage.slack.view_payload(stage.slack.views()[-1])
    values = signing.text_inputs({BlockId.UPDATE_TEXT: {ActionId.UPDATE_TEXT: "Flag off at 03:10"}})
    values[BlockId.UPDATE_STATUS] = {
        ActionId.UPDATE_STATUS: {"type": "static_select", "selected_option": {"value": "contained"}}
    }
    await stage.submit(view, values, user="U_ALICE")
    await stage.settle()
    async with session_scope(stage.deps.sessions) as s:
        incident = (await s.scalars(select(Incident))).one()
    assert incident.status == "contained" and incident.contained_at is not None
    assert any("Flag off at 03:10" in m.text for m in stage.slack.messages(channel))


async def test_empty_modal_title_gets_field_error(stage: Stage) -> None:
    await stage.command("declare")
    await stage.eventually(lambda: bool(stage.slack.views()))
    view = stage.slack.view_payload(stage.slack.views()[-1])
    r = await stage.submit(
        view, view_values(title=" ", type_="hallucination", severity="P2"), user="U_ALICE"
    )
    assert r.json() == {
        "response_action": "errors",
        "errors": {BlockId.DECLARE_TITLE: "Say in a few words what is wrong."},
    }


async def test_list_shows_open_incidents_with_links(stage: Stage) -> None:
    channel = await declared(stage)
    await stage.command("list")
    await stage.eventually(lambda: bool(stage.slack.responses()))
    assert f"<#{channel}>" in last_response(stage)["text"]


async def test_pins_and_pushpin_reactions_go_on_the_timeline_once(stage: Stage) -> None:
    channel = await declared(stage)
    ts = await stage.runtime.ctx.gateway.post(channel, "p95 latency back to 800 ms")
    event = {
        "type": "reaction_added",
        "user": "U_BOB",
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": ts,
    }
    await stage.event(event, event_id="EvPIN1")
    await stage.event(event, event_id="EvPIN1", retry_num=1)  # Slack's retry of the same event
    pin = {
        "type": "pin_added",
        "user": "U_CAROL",
        "channel_id": channel,
        "item": {
            "type": "message",
            "channel": channel,
            "message": {"ts": ts, "text": "p95 latency back to 800 ms"},
        },
    }
    await stage.event(pin, event_id="EvPIN2")
    await stage.settle()
    pinned = [e for e in await timeline(stage) if e.kind == "pinned"]
    assert len(pinned) == 1
    assert abs(pinned[0].at.timestamp() - float(ts)) < 1


async def test_bad_and_stale_signatures_are_rejected(stage: Stage) -> None:
    forged = signing.slash_command(
        "wrong-secret",
        text="declare x",
        user_id="U_ALICE",
        channel_id="C_GENERAL",
        trigger_id="t",
        response_url="http://x",
    )
    assert (await stage.send(forged)).status_code == 401
    stale = await stage.command("help", ts=int(time.time()) - 3600)
    assert stale.status_code == 401
    assert not stage.slack.responses()


async def test_errors_right_after_the_ack_never_lose_the_ack(stage: Stage) -> None:
    # bolt resets an ack if the listener raises within its polling window; guarded listeners
    # answer their own errors, so every one of these is acked at once and told what went wrong.
    started = time.monotonic()
    responses = await asyncio.gather(
        *(stage.command("severity P2", channel="C_GENERAL") for _ in range(20))
    )
    assert [r.status_code for r in responses] == [200] * 20
    assert time.monotonic() - started < 2.5
    await stage.settle()
    errors = [r.body["text"] for r in stage.slack.responses()]
    assert len(errors) == 20 and all("works inside an incident channel" in e for e in errors)
