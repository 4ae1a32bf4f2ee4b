"""Helpers for the follow-up tests: a settable clock, an incident opened by an alert, evals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from bot.db import session_scope
from bot.models import ActionItem, Incident, TimelineEvent
from bot.sandbox.slack import signing
from bot.sandbox.stage import Stage
from bot.slack.ids import ActionId, BlockId

FEATURE = "support-assistant"


class Clock:
    """A clock tests move by hand; `stage.deps.clock = clock` makes the whole bot use it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def start_clock(stage: Stage, at: datetime | None = None) -> Clock:
    """Give the bot a controllable clock starting now (or at `at`)."""
    clock = Clock(at or datetime.now(UTC).replace(microsecond=0))
    stage.deps.clock = clock
    return clock


def alert(
    incident_type: str = "hallucination", severity: str = "P2", **extra: Any
) -> dict[str, Any]:
    """A generic alert that opens an incident on the support assistant."""
    return {
        "title": "Support assistant quotes a 60-day refund window",
        "dedupe_key": f"refunds-{incident_type}-{severity}",
        "labels": {"ai_incident_type": incident_type, "severity": severity, "feature": FEATURE},
        **extra,
    }


async def open_incident(stage: Stage, **alert_args: Any) -> str:
    """Fire an alert and wait for the channel; Alice commands, Bob comms, Carol engineering."""
    before = set(stage.slack.workspace.channels)
    assert (await stage.alert("generic", alert(**alert_args))).status_code == 202
    await stage.eventually(
        lambda: any(
            c.name.startswith("inc-") and c.id not in before
            for c in stage.slack.workspace.channels.values()
        )
    )
    channel = next(
        c.id
        for c in stage.slack.workspace.channels.values()
        if c.name.startswith("inc-") and c.id not in before
    )
    for role, user in (("commander", "U_ALICE"), ("comms", "U_BOB"), ("engineering", "U_CAROL")):
        await stage.command(f"role {role} <@{user}>", user="U_ALICE", channel=channel)
    await stage.settle()
    return channel


async def contain(stage: Stage, channel: str, text: str = "Prompt v12 rolled back") -> None:
    """Mark the incident contained through the status-update modal, as a responder would."""
    views = len(stage.slack.views())
    await stage.command("update", user="U_ALICE", channel=channel)
    await stage.eventually(lambda: len(stage.slack.views()) > views)
    view = stage.slack.view_payload(stage.slack.views()[-1])
    values = signing.text_inputs({BlockId.UPDATE_TEXT: {ActionId.UPDATE_TEXT: text}})
    values[BlockId.UPDATE_STATUS] = {
        ActionId.UPDATE_STATUS: {"type": "static_select", "selected_option": {"value": "contained"}}
    }
    assert (await stage.submit(view, values, user="U_ALICE")).status_code == 200
    await stage.settle()


async def post_eval(
    stage: Stage,
    passed: int,
    total: int,
    *,
    suite: str = "refund-policy",
    at: datetime | None = None,
    incident: int | None = None,
) -> httpx.Response:
    """POST /evals as the eval pipeline would."""
    body: dict[str, Any] = {"suite": suite, "feature": FEATURE, "passed": passed, "total": total}
    if at is not None:
        body["at"] = at.isoformat()
    if incident is not None:
        body["incident"] = incident
    token = stage.deps.settings.webhook_token
    assert token is not None
    return await stage.http.post(
        "/evals",
        content=json.dumps(body),
        headers={
            "Authorization": f"Bearer {token.get_secret_value()}",
            "Content-Type": "application/json",
        },
    )


def api_headers(stage: Stage, **extra: str) -> dict[str, str]:
    """Bearer auth for /api."""
    token = stage.deps.settings.webhook_token
    assert token is not None
    return {"Authorization": f"Bearer {token.get_secret_value()}", **extra}


async def incident(stage: Stage) -> Incident:
    """The newest incident row."""
    async with session_scope(stage.deps.sessions) as s:
        return (await s.scalars(select(Incident).order_by(Incident.id.desc()))).first()  # type: ignore[return-value]


async def items(stage: Stage) -> list[ActionItem]:
    """Every action item row, oldest first."""
    async with session_scope(stage.deps.sessions) as s:
        return list((await s.scalars(select(ActionItem).order_by(ActionItem.id))).all())


async def events(stage: Stage, kind: str | None = None) -> list[TimelineEvent]:
    """Timeline events, oldest first, optionally of one kind."""
    async with session_scope(stage.deps.sessions) as s:
        stmt = select(TimelineEvent).order_by(TimelineEvent.id)
        if kind is not None:
            stmt = stmt.where(TimelineEvent.kind == kind)
        return list((await s.scalars(stmt)).all())


def texts(stage: Stage, channel: str) -> list[str]:
    """Texts of a channel's messages (thread replies included)."""
    return [m.text for m in stage.slack.messages(channel)]


def replies(stage: Stage) -> list[str]:
    """Texts of every ephemeral reply (response_url posts and chat.postEphemeral), oldest first."""
    found = [(r.at, str(r.body.get("text", ""))) for r in stage.slack.responses()]
    found += [(e.at, e.text) for e in stage.slack.ephemerals()]
    return [text for _, text in sorted(found, key=lambda pair: pair[0])]


def said(stage: Stage, channel: str, needle: str) -> str:
    """The newest channel message containing `needle` (other features may post meanwhile)."""
    found = [t for t in texts(stage, channel) if needle in t]
    assert found, f"no message with {needle!r} in {texts(stage, channel)}"
    return found[-1]


def two_trackers(jira_url: str, linear_url: str, linear_team: str) -> dict[str, Any]:
    """Config: the Support AI team's items go to Jira (the default), Platform's to Linear, both
    with their webhook secrets (JIRA_WEBHOOK_SECRET, LINEAR_WEBHOOK_SECRET)."""
    return {
        "followup": {"teams": {"Support AI": ["U_BOB"], "Platform": ["U_CAROL"]}},
        "trackers": {
            "ai-jira": {
                "kind": "jira",
                "url": jira_url,
                "project": "AIQ",
                "teams": ["Support AI"],
                "default": True,
                "webhook_secret_env": "JIRA_WEBHOOK_SECRET",
            },
            "platform-linear": {
                "kind": "linear",
                "url": f"{linear_url}/graphql",
                "team_id": linear_team,
                "teams": ["Platform"],
                "webhook_secret_env": "LINEAR_WEBHOOK_SECRET",
            },
        },
    }
