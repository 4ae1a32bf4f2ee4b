"""Socket Mode: slack-sdk's own client connects to the stand-in's WebSocket, gets envelopes, acks.

The bot opens the connection with the app-level token, as it does with `SLACK_APP_TOKEN` set; the
stage then sends Slack's requests as envelopes instead of HTTP requests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from bot.config import Config
from bot.db import make_engine, make_sessionmaker, session_scope
from bot.deps import Deps
from bot.models import IncidentRole, TimelineEvent
from bot.sandbox.slack import socket_mode
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.sandbox.stage import Stage, serve
from bot.settings import Settings
from bot.slack.ids import ActionId
from tests.conftest import WEBHOOK_TOKEN
from tests.support.incident_channel import open_incident
from tests.test_slack_commands import declared, view_values


@pytest.fixture
async def stage(db_url: str, config: Config, fake_slack: FakeSlack) -> AsyncIterator[Stage]:
    """The bot connected to the stand-in over Socket Mode."""
    settings = Settings(
        DATABASE_URL=db_url,
        INCIDENTBOT_WEBHOOK_TOKEN=WEBHOOK_TOKEN,
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET="test-signing-secret",
        SLACK_API_URL=fake_slack.api_url,
        SLACK_APP_TOKEN=fake_slack.app_token,
    )
    engine = make_engine(db_url)
    deps = Deps(settings=settings, config=config, engine=engine, sessions=make_sessionmaker(engine))
    async with serve(deps, fake_slack) as running:
        yield running
    await engine.dispose()


def acks_per_envelope(slack: FakeSlack) -> Counter[str]:
    return Counter(envelope_id for envelope_id, _ in slack.socket.acks)


def assert_each_sent_envelope_acked_once(slack: FakeSlack) -> None:
    sent = {frame["envelope_id"] for frame in slack.socket.sent}
    assert acks_per_envelope(slack) == Counter(sent)


async def test_the_bot_connects_with_the_app_token(stage: Stage) -> None:
    assert stage.over_socket and stage.slack.socket.connected
    [call] = stage.slack.calls("apps.connections.open")
    assert call.response["ok"] and call.response["url"].startswith("ws://127.0.0.1:")


async def test_connections_open_needs_the_app_level_token(fake_slack: FakeSlack) -> None:
    async with httpx.AsyncClient(base_url=fake_slack.api_url) as http:
        for token, error in (
            (fake_slack.token, "not_allowed_token_type"),
            ("xapp-x", "invalid_auth"),
        ):
            r = await http.post(
                "apps.connections.open", headers={"Authorization": f"Bearer {token}"}
            )
            assert r.json() == {"ok": False, "error": error}


async def test_slash_command_modal_and_button_over_socket_mode(stage: Stage) -> None:
    channel = await declared(stage)  # /incident declare, then the modal's submission
    assert [frame["type"] for frame in stage.slack.socket.sent] == [
        socket_mode.SLASH_COMMANDS,
        socket_mode.INTERACTIVE,
    ]
    assert "U_ALICE" in stage.slack.members(channel)

    [pinned] = stage.slack.pins(channel)
    take = f"{ActionId.TAKE_ROLE}:engineering"
    value = next(
        e["value"]
        for b in pinned.blocks
        for e in b.get("elements", [])
        if e.get("action_id") == take
    )
    r = await stage.click(take, value, user="U_BOB", channel=channel, message_ts=pinned.ts)
    assert r.status_code == 200
    await stage.eventually(
        lambda: "engineering: <@U_BOB>" in str(stage.slack.pins(channel)[0].blocks)
    )
    async with session_scope(stage.deps.sessions) as s:
        roles = {(r.role, r.user_id) for r in await s.scalars(select(IncidentRole))}
    assert ("engineering", "U_BOB") in roles
    assert_each_sent_envelope_acked_once(stage.slack)


async def test_modal_errors_come_back_in_the_ack(stage: Stage) -> None:
    await stage.command("declare")
    await stage.eventually(lambda: bool(stage.slack.views()))
    view = stage.slack.view_payload(stage.slack.views()[-1])
    values = view_values(title=" ", type_="hallucination", severity="P2")
    r = await stage.submit(view, values, user="U_ALICE")
    assert r.json()["response_action"] == "errors"


async def test_dropped_connection_reconnects_without_losing_or_repeating(stage: Stage) -> None:
    await stage.command("declare First incident")  # one envelope on the first connection
    await stage.slack.socket.drop()
    # Sent while the bot has no connection: it waits for the bot's reconnection.
    r = await stage.command("help")
    assert r.status_code == 200
    await stage.slack.socket.refresh()  # Slack asks the bot to move to a new connection
    await stage.command("help")
    await stage.settle()

    assert stage.slack.socket.connections_opened == 3
    assert len(stage.slack.calls("apps.connections.open")) == 3
    assert [frame["retry_attempt"] for frame in stage.slack.socket.sent] == [0, 0, 0]
    assert_each_sent_envelope_acked_once(stage.slack)
    help_replies = [e for e in stage.slack.ephemerals(user="U_ALICE") if "declare" in e.text]
    help_replies += [p for p in stage.slack.responses() if "declare" in str(p.body)]
    assert len(help_replies) == 2  # each help command answered exactly once


async def test_event_in_flight_when_the_connection_drops_is_retried_and_handled_once(
    stage: Stage,
) -> None:
    channel = await open_incident(stage)
    ts = await stage.runtime.ctx.gateway.post(channel, "Rolled back to prompt v11")
    event = {
        "type": "reaction_added",
        "user": "U_BOB",
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": ts,
    }
    stage.slack.socket.drop_after_next_send()
    await stage.event(event, event_id="EvDROPPED1")
    await stage.settle()

    [first, again] = [f for f in stage.slack.socket.sent if f["type"] == socket_mode.EVENTS]
    assert first["envelope_id"] == again["envelope_id"]
    assert (first["retry_attempt"], again["retry_attempt"]) == (0, 1)
    assert acks_per_envelope(stage.slack)[first["envelope_id"]] == 1
    async with session_scope(stage.deps.sessions) as s:
        pins = list(await s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "pinned")))
    assert [p.text for p in pins] == ["Rolled back to prompt v11"]


async def test_a_slash_command_cut_off_before_its_ack_is_not_sent_again(stage: Stage) -> None:
    stage.slack.socket.drop_after_next_send()
    with pytest.raises(socket_mode.SocketModeError):
        await stage.command("help")
    r = await stage.command("help")  # the person tries again, on the new connection
    assert r.status_code == 200
    commands = [f for f in stage.slack.socket.sent if f["type"] == socket_mode.SLASH_COMMANDS]
    assert len(commands) == 2 and len({f["envelope_id"] for f in commands}) == 2
