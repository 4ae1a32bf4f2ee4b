"""The postmortem of a scripted incident: facts from the database, posted, reviewed, published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.db import session_scope
from bot.errors import InvalidTransition
from bot.incidents import store as incident_store
from bot.models import ContainmentRun, Postmortem
from bot.postmortem import review
from bot.postmortem.schemas import ActionItemFacts
from bot.sandbox.stage import Stage
from bot.vocabulary import ActionKind, ActionState, EventKind, PostmortemState, Status
from tests.support.followup import (
    Clock,
    api_headers,
    contain,
    events,
    incident,
    open_incident,
    post_eval,
    replies,
    said,
    start_clock,
)

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SAMPLE = {
    "input": "Can I return my order after 45 days?",
    "output": "Yes, you have 60 days to return it.",
    "expected": "No: returns are accepted within 30 days.",
}


async def scripted_incident(stage: Stage) -> tuple[Clock, str]:
    """Alert (with a bad-output sample), prompt change, evals, containment, comms, resolve."""
    clock = start_clock(stage, T0)
    change = {
        "kind": "prompt",
        "feature": "support-assistant",
        "from": "v11",
        "to": "v12",
        "at": (T0 - timedelta(minutes=20)).isoformat(),
        "author": "dana",
    }
    r = await stage.http.post("/changes", json=change, headers=api_headers(stage))
    assert r.status_code == 201
    starts = (T0 - timedelta(minutes=8)).isoformat()
    channel = await open_incident(stage, starts_at=starts, sample=SAMPLE)
    clock.advance(minutes=5)
    await post_eval(stage, 80, 100)
    clock.advance(minutes=5)
    await _containment_run(stage, clock.now)
    clock.advance(minutes=2)
    await contain(stage, channel)
    clock.advance(minutes=3)
    await _comms_published(stage, clock.now)
    clock.advance(minutes=1)
    await stage.command("note Agent told a customer | 60 days", user="U_BOB", channel=channel)
    clock.advance(minutes=14)
    await post_eval(stage, 92, 100)
    clock.advance(minutes=10)
    await stage.command("resolve prompt v11 restored", user="U_ALICE", channel=channel)
    await stage.settle()
    assert (await incident(stage)).status == "resolved"
    return clock, channel


async def _containment_run(stage: Stage, at: datetime) -> None:
    # Containment runs are the containment feature's; the postmortem only reads its audit rows.
    async with session_scope(stage.deps.sessions) as s:
        s.add(
            ContainmentRun(
                incident_id=(await incident(stage)).id,
                action_key="prompt_rollback",
                provider="langfuse",
                click_key="k1",
                state="succeeded",
                requested_by="U_CAROL",
                requested_at=at,
                finished_at=at,
                response_status=200,
            )
        )


async def _comms_published(stage: Stage, at: datetime) -> None:
    # A publish as the comms feature records it on the timeline.
    async with session_scope(stage.deps.sessions) as s:
        await incident_store.add_event(
            session=s,
            incident_id=(await incident(stage)).id,
            kind=EventKind.COMMS,
            actor="U_BOB",
            at=at,
            text="We are aware some refund answers were wrong.",
            data={"kind": "status_update", "target": "statuspage"},
        )


async def markdown(stage: Stage, number: int = 1) -> tuple[str, str]:
    r = await stage.http.get(f"/api/incidents/{number}/postmortem.md", headers=api_headers(stage))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/markdown")
    return r.text, r.headers["x-postmortem-state"]


async def test_postmortem_is_written_from_what_the_bot_saw(stage: Stage) -> None:
    await scripted_incident(stage)
    text, state = await markdown(stage)

    assert state == "draft"
    assert text.startswith(
        "# Postmortem — INC-1: Support assistant quotes a 60-day refund window\n"
    )
    assert "**State:** draft · **Type:** Hallucination · **Severity:** P2" in text
    for expected in [
        # the four questions, pre-filled
        "| Can I return my order after 45 days? | Yes, you have 60 days to return it. "
        "| No: returns are accepted within 30 days. |",
        "- Bob Baker: Agent told a customer | 60 days",
        "| 2026-11-23 02:40 UTC | prompt | support-assistant | v11 → v12 | dana |",
        "No change recorded for: model, data, retrieval, traffic, provider.",
        "Looks isolated: 1 alert from 1 monitor across 1 distinct dedupe key.",
        "| refund-policy | 92/100 | 92.0% | 2026-11-23 03:30 UTC |",
        "Time to detect: 8 min from the first signal (2026-11-23 02:52 UTC) to declaration.",
        # timeline, roles, containment, comms
        "| 2026-11-23 03:00 UTC | alert | opened | Incident #1 opened:",
        "| commander | Alice Archer | `U_ALICE` |",
        "| comms | Bob Baker | `U_BOB` |",
        "| 2026-11-23 03:10 UTC | Carol Chen | prompt_rollback via langfuse | succeeded (HTTP 200)",
        "| 2026-11-23 03:15 UTC | status_update | statuspage | We are aware some refund answers",
        # fix validation and durations
        "Suite `refund-policy`: 8/100 failures after vs 20/100 before, p = 0.0072: "
        "improvement is significant",
        "| Time to contain (TTC) | declared → contained | 12 min |",
        "| Time to resolve (TTR) | declared → resolved | 40 min |",
        "> - add at least one eval_case action item",
    ]:
        assert expected in text, expected
    assert "@U_" not in text and "<@" not in text  # people by name; ids only in the roles table


async def test_names_come_from_slack_once_and_are_cached(stage: Stage) -> None:
    await scripted_incident(stage)
    await markdown(stage)
    looked_up = len(stage.slack.calls("users.info"))
    await markdown(stage)
    assert len(stage.slack.calls("users.info")) == looked_up  # no second lookup
    stage.deps.name_of = None  # e.g. a process without Slack: the cached names still serve
    text, _ = await markdown(stage)
    assert "| commander | Alice Archer | `U_ALICE` |" in text and "@U_" not in text


async def test_postmortem_is_posted_reviewed_and_published(stage: Stage) -> None:
    clock, channel = await scripted_incident(stage)
    clock.advance(hours=20)
    await stage.command("postmortem", user="U_BOB", channel=channel)
    await stage.settle()
    head = next(
        m for m in stage.slack.messages(channel) if "*Postmortem for incident #1*" in m.text
    )
    assert "draft" in head.text and "add at least one detection action item" in head.text
    [canvas] = stage.slack.workspace.canvases.values()  # the document: the channel's canvas
    assert stage.slack.channel(channel).canvas == canvas.id
    assert "INC-1" in canvas.markdown and "Bob Baker" in canvas.markdown
    assert "<@U_BOB>" not in canvas.markdown

    await stage.command("postmortem review", user="U_BOB", channel=channel)
    await stage.settle()
    assert "Only the commander" in replies(stage)[-1]
    await stage.command("postmortem review", user="U_ALICE", channel=channel)
    await stage.settle()
    assert (await incident(stage)).status == "postmortem"
    assert said(stage, channel, "*in review*")
    assert (await markdown(stage))[1] == "in_review"

    await stage.command("postmortem publish", user="U_ALICE", channel=channel)
    await stage.settle()
    refusal = replies(stage)[-1]
    assert "Before publishing: add at least one eval_case" in refusal and "detection" in refusal

    for args in (
        '"Eval: refund window answers" <@U_BOB> eval_case',
        '"Groundedness alert" <@U_CAROL> detection',
    ):
        await stage.command(f"action add {args}", user="U_ALICE", channel=channel)
    await stage.settle()
    await stage.command("postmortem publish", user="U_ALICE", channel=channel)
    await stage.settle()
    row = await incident(stage)
    assert row.status == "closed" and row.closed_at == clock.now
    assert said(stage, channel, "published the postmortem")
    text, state = await markdown(stage)
    assert state == "published" and "**State:** published" in text
    assert "Before publishing" not in text
    assert "| eval_case | Eval: refund window answers | Bob Baker | 2026-12-07 | open |" in text
    async with session_scope(stage.deps.sessions) as s:
        stored = (await s.scalars(select(Postmortem))).one()
    assert stored.markdown == text and stored.state == "published"

    await stage.command("postmortem review", user="U_ALICE", channel=channel)
    await stage.settle()
    assert "the postmortem is published; it is final" in replies(stage)[-1]
    await stage.command("postmortem", user="U_BOB", channel=channel)  # points at the final text
    await stage.settle()
    assert said(stage, channel, "*Postmortem for incident #1* — published")
    [canvas] = stage.slack.workspace.canvases.values()
    assert canvas.markdown == text  # edited in place on every revision
    assert len(canvas.history) >= 2
    history = [e.text for e in await events(stage, "postmortem")]
    assert history == ["Postmortem draft written", "Postmortem in review", "Postmortem published"]


async def test_an_override_is_shown_in_the_postmortem(stage: Stage) -> None:
    start_clock(stage, T0)
    channel = await open_incident(stage)
    reason = "no eval suite covers refunds yet"
    await stage.command(f"resolve --override {reason}", user="U_ALICE", channel=channel)
    await stage.settle()
    text, _ = await markdown(stage)
    assert f"Validation overridden by Alice Archer: {reason}" in text
    assert "never marked contained" in text


async def test_postmortem_api_needs_auth_and_a_known_incident(stage: Stage) -> None:
    assert (await stage.http.get("/api/incidents/1/postmortem.md")).status_code == 401
    missing = await stage.http.get("/api/incidents/7/postmortem.md", headers=api_headers(stage))
    assert missing.status_code == 404 and "no incident #7" in missing.json()["error"]
    spec = (await stage.http.get("/openapi.json")).json()
    doc = spec["paths"]["/api/incidents/{number}/postmortem.md"]["get"]
    assert "text/markdown" in doc["responses"]["200"]["content"]


# --- the pure review rules ---------------------------------------------------------------------


def test_review_rules() -> None:
    draft, in_review, published = (
        PostmortemState.DRAFT,
        PostmortemState.IN_REVIEW,
        PostmortemState.PUBLISHED,
    )
    kinds = [ActionKind.EVAL_CASE, ActionKind.DETECTION]
    day = T0.date()
    both = [
        ActionItemFacts(ActionKind.EVAL_CASE, "e", "U1", day),
        ActionItemFacts(ActionKind.DETECTION, "d", "U1", day),
    ]
    dropped = [both[0], ActionItemFacts(ActionKind.DETECTION, "d", "U1", day, ActionState.WONT_DO)]

    def move(current: PostmortemState, target: PostmortemState, **kw: object) -> PostmortemState:
        args: dict[str, object] = {
            "incident_status": Status.RESOLVED,
            "items": both,
            "required_kinds": kinds,
        }
        return review.transition(current, target, **(args | kw))  # type: ignore[arg-type]

    assert move(draft, in_review) is in_review and move(in_review, published) is published
    assert move(in_review, published, items=[], required_kinds=[]) is published  # configurable
    for current, target, kw, words in [
        (draft, published, {}, "into review first"),
        (draft, in_review, {"incident_status": Status.CONTAINED}, "still contained"),
        (in_review, published, {"items": dropped}, "add at least one detection"),
        (published, in_review, {}, "it is final"),
        (in_review, in_review, {}, "already in review"),
    ]:
        with pytest.raises(InvalidTransition, match=words):
            move(current, target, **kw)
    assert review.incident_status_after(in_review, Status.RESOLVED) is Status.POSTMORTEM
    assert review.incident_status_after(published, Status.POSTMORTEM) is Status.CLOSED
    assert review.incident_status_after(published, Status.CLOSED) is None


class TestPublishPolicy:
    @pytest.fixture
    def config(self) -> Config:
        return Config.model_validate({"followup": {"publish_requires": ["eval_case"]}})

    async def test_required_kinds_are_configurable(self, stage: Stage) -> None:
        channel = await open_incident(stage)
        await stage.command("resolve --override suite not ready", user="U_ALICE", channel=channel)
        await stage.command('action add "Eval: refunds" <@U_BOB> eval_case', channel=channel)
        await stage.settle()
        assert "Before publishing" not in (await markdown(stage))[0]
        for args in ("postmortem review", "postmortem publish"):
            await stage.command(args, user="U_ALICE", channel=channel)
            await stage.settle()
        assert (await markdown(stage))[1] == "published"
