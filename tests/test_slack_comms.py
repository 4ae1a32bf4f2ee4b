"""Comms over signed Slack requests: the form round trip, lint, approval, targets, reminders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.db import make_engine, make_sessionmaker, session_scope
from bot.deps import Deps
from bot.models import CommsDraft, CommsPublication, CommsVersion, Incident, TimelineEvent
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.sandbox.stage import Stage, serve
from bot.settings import Settings
from bot.slack.ids import ActionId, BlockId, CallbackId
from tests.support.comms_form import (
    approve,
    button,
    card,
    context_texts,
    declare,
    field,
    input_value,
    last_responses,
    latest_view,
    new_form,
    open_form,
    preview,
    rows,
    state_of,
    with_roles,
)
from tests.support.provider_standins import Webhook
from tests.support.statuspage import Statuspage

STATUS_CHANNEL = "C_STATUS"
PAGE_ID = "pg123"
API_KEY = "sp-test-key"


@pytest.fixture
async def statuspage() -> AsyncIterator[Statuspage]:
    async with Statuspage(PAGE_ID, API_KEY, {"cmp-chat": "operational"}) as standin:
        yield standin


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    async with Webhook({"Authorization": "Bearer hook-token"}) as standin:
        yield standin


@pytest.fixture
def config(statuspage: Statuspage, webhook: Webhook) -> Config:
    return Config.model_validate(
        {
            "default_responders": ["U_BOB", "U_CAROL"],
            "status_targets": [
                {"kind": "slack", "name": "status-channel", "channel": STATUS_CHANNEL},
                {
                    "kind": "statuspage",
                    "name": "public-status",
                    "page_id": PAGE_ID,
                    "api_key_env": "STATUSPAGE_API_KEY",
                    "api_url": f"{statuspage.url}/v1",
                    "component_ids": ["cmp-chat"],
                },
                {
                    "kind": "webhook",
                    "name": "support-tool",
                    "url": f"{webhook.url}/hooks/comms",
                    "token_env": "HOOK_TOKEN",
                    "kinds": ["status_update", "resolution"],
                },
                {
                    "kind": "slack",
                    "name": "leadership",
                    "channel": "C_LEADERSHIP",
                    "audience": "internal",
                },
            ],
            "comms_timezone": "Europe/Berlin",
        }
    )


@pytest.fixture
async def ready(stage: Stage) -> Stage:
    """The stage with a status channel, credentials, and a P2 incident with roles taken."""
    for name, cid in (("status-updates", STATUS_CHANNEL), ("leadership", "C_LEADERSHIP")):
        stage.slack.add_channel(name, members=[stage.slack.bot_user_id], channel_id=cid)
    stage.deps.environ.update({"STATUSPAGE_API_KEY": API_KEY, "HOOK_TOKEN": "hook-token"})
    return stage


async def saved_draft(stage: Stage, channel: str, **typed: str) -> dict[str, Any]:
    """Open the status update form as the comms lead, type, and save; return the saved view."""
    view = await open_form(stage, channel)
    assert (await stage.submit(view, state_of(view, **typed), user="U_BOB")).status_code == 200
    await stage.settle()
    return view


# --- the form round trip ---------------------------------------------------------------


async def test_open_edit_preview_save_and_publish(ready: Stage) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    view = await open_form(stage, channel)
    assert view["title"]["text"] == "Status update"
    text = input_value(view, ActionId.COMMS_TEXT) or ""
    assert "Support assistant" in text and "CET" in text  # feature in user terms, config zone
    assert "Fill in who is affected" in context_texts(view)  # lint shown beside the text

    segment = "Support assistant users asking about refunds"
    typed = {
        field("segment"): segment,
        field("affected_count"): "1,240",
        field(
            "actions_taken"
        ): "We turned off refund answers and route refund questions to agents.",
    }
    shown = await preview(stage, view, **typed)
    new_text = input_value(shown, ActionId.COMMS_TEXT) or ""
    assert segment in new_text and "1,240 affected users" in new_text
    assert "Fill in who is affected" not in context_texts(shown)
    assert shown["blocks"][1]["block_id"] != view["blocks"][1]["block_id"]  # new text value

    response = await stage.submit(shown, state_of(shown), user="U_BOB")
    assert response.status_code == 200 and response.text in ("", "null")
    await stage.settle()
    [version] = await rows(stage, CommsVersion)
    assert version.version == 1 and version.author == "U_BOB" and segment in version.text
    assert version.scope["affected_count"] == 1240
    message = card(stage, channel)
    assert "draft v1" in message.text.lower() or "draft v1" in str(message.blocks)
    assert any("Saved v1" in e.text for e in stage.slack.ephemerals(user="U_BOB"))

    await approve(stage, channel, "U_BOB")
    [posted] = [m for m in stage.slack.messages(STATUS_CHANNEL)]
    assert segment in posted.text
    events = [e for e in await rows(stage, TimelineEvent) if e.kind == "comms"]
    assert any(segment in e.text and "approved" in e.text for e in events)
    assert any(e.data.get("target") == "status-channel" and e.data["ok"] for e in events)
    assert "approved by" in str(card(stage, channel).blocks)


# --- lint, override, permission -----------------------------------------------------------


async def test_missing_scope_blocks_until_comms_lead_overrides_with_reason(ready: Stage) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    await saved_draft(stage, channel)  # segment and what was done left empty
    assert "Fill in who is affected" in context_texts(card(stage, channel).blocks)

    await approve(stage, channel, "U_ALICE")  # the commander may publish, not override
    assert "Fill in who is affected, what has been done before publishing" in last_responses(stage)
    assert "only the comms lead can publish without it" in last_responses(stage)
    assert await rows(stage, CommsPublication) == []

    await approve(stage, channel, "U_BOB")  # the comms lead is asked for a reason
    override = latest_view(stage)
    assert override["callback_id"] == CallbackId.COMMS_OVERRIDE
    assert "Fill in who is affected" in str(override["blocks"])
    reason_state = {
        BlockId.COMMS_OVERRIDE_REASON: {
            ActionId.COMMS_OVERRIDE_REASON: {"type": "plain_text_input", "value": "no"}
        }
    }
    refused = await stage.submit(override, reason_state, user="U_BOB")
    assert refused.json()["errors"][BlockId.COMMS_OVERRIDE_REASON]
    reason = "Users are asking now; the segment is not known yet"
    reason_state[BlockId.COMMS_OVERRIDE_REASON][ActionId.COMMS_OVERRIDE_REASON]["value"] = reason
    assert (await stage.submit(override, reason_state, user="U_BOB")).status_code == 200
    await stage.settle()

    [draft] = await rows(stage, CommsDraft)
    assert draft.override_reason == reason and draft.published_by == "U_BOB"
    events = [e.text for e in await rows(stage, TimelineEvent) if e.kind == "comms"]
    assert any(reason in text for text in events)
    assert reason in str(card(stage, channel).blocks)
    assert len(stage.slack.messages(STATUS_CHANNEL)) == 1


async def test_only_comms_lead_or_commander_may_publish(ready: Stage) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    await saved_draft(stage, channel, **complete_scope())
    await approve(stage, channel, "U_CAROL")
    assert (
        "Only the comms lead (<@U_BOB>) or the commander (<@U_ALICE>) may approve and publish"
        in (last_responses(stage))
    )
    assert await rows(stage, CommsPublication) == []
    assert stage.slack.messages(STATUS_CHANNEL) == []
    await approve(stage, channel, "U_ALICE")
    assert len(stage.slack.messages(STATUS_CHANNEL)) == 1


def complete_scope(**more: str) -> dict[str, str]:
    return {
        field("segment"): "Support assistant users asking about refunds",
        field("actions_taken"): "We turned off refund answers.",
        **more,
    }


# --- targets ---------------------------------------------------------------------------------


async def test_statuspage_created_then_updated_and_webhook_told(
    ready: Stage, statuspage: Statuspage, webhook: Webhook
) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    await saved_draft(stage, channel, **complete_scope())
    await approve(stage, channel, "U_BOB")

    [create] = statuspage.calls("POST")
    assert create.path == f"/v1/pages/{PAGE_ID}/incidents"
    assert create.headers["Authorization"] == f"OAuth {API_KEY}"
    body = create.json()["incident"]
    assert body["status"] == "investigating" and body["name"].startswith("Update on Support")
    assert body["component_ids"] == ["cmp-chat"]
    assert body["components"] == {"cmp-chat": "degraded_performance"}  # P2 default impact
    assert "Support assistant users asking about refunds" in body["body"]
    [hook] = webhook.received
    assert hook["kind"] == "status_update" and hook["incident"]["severity"] == "P2"
    assert hook["status"] == "investigating" and hook["text"] == body["body"]

    # The next update reuses the fields written before and updates the same page incident.
    view = await open_form(stage, channel)
    assert input_value(view, field("segment")) == "Support assistant users asking about refunds"
    typed = {field("status_page_status"): "resolved", field("window_end"): ""}
    await stage.submit(view, state_of(view, **complete_scope(**typed)), user="U_BOB")
    await stage.settle()
    await approve(stage, channel, "U_BOB")
    [update] = statuspage.calls("PATCH")
    assert update.path == f"/v1/pages/{PAGE_ID}/incidents/inc00001"
    assert update.json()["incident"]["status"] == "resolved"
    assert statuspage.components == {"cmp-chat": "operational"}
    assert [u["status"] for u in statuspage.incidents["inc00001"]["updates"]] == [
        "investigating",
        "resolved",
    ]
    assert len(webhook.received) == 2


async def test_internal_drafts_never_reach_public_targets(
    ready: Stage, statuspage: Statuspage, webhook: Webhook
) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    view = await open_form(stage, channel, "stakeholder_update")
    assert "Internal" in context_texts(view)
    await stage.submit(view, state_of(view, **complete_scope()), user="U_BOB")
    await stage.settle()
    await approve(stage, channel, "U_ALICE")
    assert len(stage.slack.messages("C_LEADERSHIP")) == 1
    assert statuspage.requests == [] and webhook.received == []
    assert stage.slack.messages(STATUS_CHANNEL) == []


async def test_publish_failure_is_reported_per_target_and_retried(
    ready: Stage, statuspage: Statuspage
) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    await saved_draft(stage, channel, **complete_scope())
    statuspage.fail_next(status=500)
    await approve(stage, channel, "U_BOB")
    shown = str(card(stage, channel).blocks)
    assert "❌ Statuspage public-status: HTTP 500" in shown and "✅ <#C_STATUS>" in shown
    events = [e.text for e in await rows(stage, TimelineEvent) if e.kind == "comms"]
    assert any("NOT published to public-status: HTTP 500" in t for t in events)

    message = card(stage, channel)
    await stage.click(
        ActionId.COMMS_RETRY,
        button(message, ActionId.COMMS_RETRY),
        user="U_BOB",
        channel=channel,
        message_ts=message.ts,
    )
    await stage.settle()
    assert len(statuspage.calls("POST")) == 2 and len(statuspage.incidents) == 1
    assert "❌" not in str(card(stage, channel).blocks)
    assert len(stage.slack.messages(STATUS_CHANNEL)) == 1  # the Slack target is not sent twice


# --- the chooser, buttons from other features, bad input, history ---------------------------


async def test_chooser_and_open_comms_buttons_open_the_form(ready: Stage) -> None:
    stage = ready
    channel = await declare(stage)
    await stage.command("comms", user="U_BOB", channel=channel)
    await stage.settle()
    [chooser] = [e for e in stage.slack.ephemerals(user="U_BOB") if "Which message" in e.text]
    assert "legal_leadership" in chooser.text
    before = len(stage.slack.views())
    await stage.click(
        f"{ActionId.OPEN_COMMS}:resolution", "resolution", user="U_BOB", channel=channel
    )
    assert (await new_form(stage, before))["title"]["text"] == "Resolution notice"
    # A playbook step button: the plain action id, the kind as value.
    await stage.click(ActionId.OPEN_COMMS, "affected_users", user="U_BOB", channel=channel)
    await stage.eventually(lambda: latest_view(stage)["title"]["text"] == "Affected-users notice")
    r = await stage.command("comms gossip", user="U_BOB", channel=channel)
    assert "I don't know the message kind `gossip`" in r.json()["text"]


async def test_bad_times_are_shown_in_the_form(ready: Stage) -> None:
    stage = ready
    channel = await declare(stage)
    view = await open_form(stage, channel)
    shown = await preview(stage, view, **{field("window_start"): "yesterday at noon"})
    assert "Affected since: use YYYY-MM-DD HH:MM" in str(shown["blocks"])
    response = await stage.submit(
        view, state_of(view, **{field("window_end"): "1999-01-01 00:00"}), user="U_BOB"
    )
    assert (
        "window_end is before window_start"
        in response.json()["errors"][f"{BlockId.COMMS_FIELD}:window_end"]
    )
    assert await rows(stage, CommsVersion) == []


async def test_edit_saves_new_version_and_history_shows_the_diff(ready: Stage) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    await saved_draft(stage, channel, **complete_scope())
    message = card(stage, channel)
    before = len(stage.slack.views())
    await stage.click(
        ActionId.COMMS_EDIT, button(message, ActionId.COMMS_EDIT), user="U_ALICE", channel=channel
    )
    view = await new_form(stage, before)
    text = input_value(view, ActionId.COMMS_TEXT) or ""
    edited = text.replace("We turned off refund answers.", "We turned off refund answers at 03:40.")
    await stage.submit(view, state_of(view, **{ActionId.COMMS_TEXT: edited}), user="U_ALICE")
    await stage.settle()
    versions = await rows(stage, CommsVersion)
    assert [(v.version, v.author) for v in versions] == [(1, "U_BOB"), (2, "U_ALICE")]
    assert "at 03:40" in versions[1].text
    assert "draft v2" in str(card(stage, channel).blocks)
    message = card(stage, channel)
    await stage.click(
        ActionId.COMMS_HISTORY,
        button(message, ActionId.COMMS_HISTORY),
        user="U_BOB",
        channel=channel,
    )
    await stage.settle()
    history = last_responses(stage)
    assert "v1 by <@U_BOB>" in history and "v2 by <@U_ALICE>" in history
    assert "+What we have done: We turned off refund answers at 03:40." in history


# --- cadence and reminders -----------------------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def reminders(stage: Stage, channel: str) -> list[str]:
    return [m.text for m in stage.slack.messages(channel) if m.text.endswith("` drafts it.")]


async def test_update_reminder_when_due_and_rearmed_by_publishing(ready: Stage) -> None:
    stage = ready
    clock = Clock()
    stage.deps.clock = clock
    channel = await declare(stage)  # P2: the first update is due within 60 minutes
    await with_roles(stage, channel)
    summary = str(stage.slack.pins(channel)[0].blocks)
    assert "Next update due" in summary
    clock.advance(minutes=59)
    await stage.settle()
    assert reminders(stage, channel) == []
    clock.advance(minutes=2)
    await stage.settle()
    [reminder] = reminders(stage, channel)
    assert "<@U_BOB> the next user update is due" in reminder

    await saved_draft(stage, channel, **complete_scope())
    await approve(stage, channel, "U_BOB")  # promises the next update in 60 minutes
    clock.advance(minutes=30)
    await stage.settle()
    assert len(reminders(stage, channel)) == 1  # the old repeat reminder found it met
    clock.advance(minutes=31)
    await stage.settle()
    assert len(reminders(stage, channel)) == 2


async def test_reminder_survives_restart_and_is_sent_once(
    db_url: str, config: Config, fake_slack: FakeSlack
) -> None:
    clock = Clock()
    first = _deps(db_url, config, fake_slack, clock)
    async with serve(first, fake_slack) as stage:
        channel = await declare(stage)
        await with_roles(stage, channel)
    await first.engine.dispose()

    clock.advance(minutes=61)
    for _ in range(2):  # two replicas after the restart, one after the other
        again = _deps(db_url, config, fake_slack, clock)
        async with serve(again, fake_slack) as stage:
            await stage.settle()
        await again.engine.dispose()
    assert len(reminders(stage, channel)) == 1


def _deps(db_url: str, config: Config, slack: FakeSlack, clock: Clock) -> Deps:
    settings = Settings(
        DATABASE_URL=db_url,
        SLACK_BOT_TOKEN=slack.token,
        SLACK_SIGNING_SECRET="test-signing-secret",
        SLACK_API_URL=slack.api_url,
        INCIDENTBOT_WEBHOOK_TOKEN="t",
    )
    engine = make_engine(db_url)
    return Deps(
        settings=settings,
        config=config,
        engine=engine,
        sessions=make_sessionmaker(engine),
        clock=clock,
    )


async def test_safety_incident_owes_legal_notice_within_the_hour(ready: Stage) -> None:
    stage = ready
    clock = Clock()
    stage.deps.clock = clock
    channel = await declare(stage, type_="safety_violation", severity="P1")
    await with_roles(stage, channel)
    assert "less than 60 min left" in legal_deadline(stage, channel)
    clock.advance(minutes=44)
    await stage.settle()
    assert "less than 20 min left" in legal_deadline(stage, channel)  # counted down on its own
    assert not [r for r in reminders(stage, channel) if "legal" in r]
    clock.advance(minutes=2)
    await stage.settle()
    [legal] = [r for r in reminders(stage, channel) if "legal & leadership" in r]
    assert "<@U_BOB> <@U_ALICE>" in legal and "within an hour" in legal
    clock.advance(minutes=9)
    await stage.settle()
    assert "less than 5 min left" in legal_deadline(stage, channel)

    view = await open_form(stage, channel, "legal_leadership")
    assert input_value(view, field("lead")) == "Alice Archer (incident commander)"
    await stage.submit(view, state_of(view, **complete_scope()), user="U_BOB")
    await stage.settle()
    await approve(stage, channel, "U_BOB")
    assert len(stage.slack.messages("C_LEADERSHIP")) == 1
    assert legal_deadline(stage, channel).startswith("✅ sent")
    clock.advance(minutes=20)
    await stage.settle()
    assert len([r for r in reminders(stage, channel) if "legal" in r]) == 1
    assert legal_deadline(stage, channel).startswith("✅ sent")  # the countdown stopped


async def test_a_missed_legal_deadline_shows_as_overdue(ready: Stage) -> None:
    stage = ready
    clock = Clock()
    stage.deps.clock = clock
    channel = await declare(stage, type_="safety_violation", severity="P1")
    clock.advance(minutes=61)
    await stage.settle()
    assert legal_deadline(stage, channel).startswith("⚠️ *overdue* since <!date^")


def legal_deadline(stage: Stage, channel: str) -> str:
    """What the pinned summary says about the legal & leadership notice."""
    [summary] = stage.slack.pins(channel)
    fields = [f["text"] for b in summary.blocks for f in b.get("fields", [])]
    [deadline] = [f for f in fields if f.startswith("*Legal & leadership notice*")]
    return str(deadline.split("\n", 1)[1])


async def test_follow_up_due_48_hours_after_resolution(ready: Stage) -> None:
    stage = ready
    clock = Clock()
    stage.deps.clock = clock
    channel = await declare(stage)
    await with_roles(stage, channel)
    await stage.command(
        "resolve --override refund answers checked by hand", user="U_ALICE", channel=channel
    )
    await stage.settle()
    async with session_scope(stage.deps.sessions) as session:
        incident = (await session.scalars(select(Incident))).one()
    assert incident.status == "resolved", incident.status
    clock.advance(hours=47, minutes=59)
    await stage.settle()
    assert reminders(stage, channel) == []  # the update cadence ended with the resolution
    clock.advance(minutes=2)
    await stage.settle()
    [follow_up] = reminders(stage, channel)
    assert "follow-up to users" in follow_up


async def test_user_text_cannot_ping_or_link(ready: Stage) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    sneaky = "<!channel> users of <https://evil.example|the help centre>"
    await saved_draft(stage, channel, **complete_scope(**{field("segment"): sneaky}))
    await approve(stage, channel, "U_BOB")
    [posted] = stage.slack.messages(STATUS_CHANNEL)
    for shown in (posted.text, str(posted.blocks), str(card(stage, channel).blocks)):
        assert "<!channel>" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt;" in str(posted.blocks)


async def test_a_publish_whose_answers_were_lost_is_not_sent_twice_on_retry(
    ready: Stage, statuspage: Statuspage, webhook: Webhook
) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    await saved_draft(stage, channel, **complete_scope())
    # Slack posts the status-channel message and Statuspage creates the incident, but both
    # answers are lost, so each publication is recorded as failed.
    stage.slack.fail_next("chat.postMessage", status=500, applied=True)
    statuspage.fail_next(status=500, applied=True)
    await approve(stage, channel, "U_BOB")
    assert str(card(stage, channel).blocks).count("❌") == 2
    assert len(stage.slack.messages(STATUS_CHANNEL)) == 1 and len(statuspage.incidents) == 1

    message = card(stage, channel)
    await stage.click(
        ActionId.COMMS_RETRY,
        button(message, ActionId.COMMS_RETRY),
        user="U_BOB",
        channel=channel,
        message_ts=message.ts,
    )
    await stage.settle()
    assert "❌" not in str(card(stage, channel).blocks)
    assert len(stage.slack.messages(STATUS_CHANNEL)) == 1  # found, not posted again
    assert len(statuspage.calls("POST")) == 1 and len(statuspage.incidents) == 1
    [(incident_id, incident)] = statuspage.incidents.items()
    assert len(incident["updates"]) == 1
    publications = {p.target: p for p in await rows(stage, CommsPublication)}
    assert publications["public-status"].external_id == incident_id
    assert publications["status-channel"].state == "sent"


async def test_every_attempt_at_a_webhook_carries_the_same_idempotency_key(
    ready: Stage, webhook: Webhook
) -> None:
    stage = ready
    channel = await declare(stage)
    await with_roles(stage, channel)
    await saved_draft(stage, channel, **complete_scope())
    webhook.fail_next(status=502, applied=True)
    await approve(stage, channel, "U_BOB")
    message = card(stage, channel)
    await stage.click(
        ActionId.COMMS_RETRY,
        button(message, ActionId.COMMS_RETRY),
        user="U_BOB",
        channel=channel,
        message_ts=message.ts,
    )
    await stage.settle()
    keys = [r.headers["Idempotency-Key"] for r in webhook.calls("POST")]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0].startswith("incidentbot-")
