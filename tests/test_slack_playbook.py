"""The playbook in Slack, over signed HTTP: posted by phase, Done / Skip, type change, nudges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.flows.playbook import PhaseView
from bot.playbook.schemas import Phase
from bot.sandbox.slack.limits import MESSAGE_MAX_BLOCKS
from bot.sandbox.stage import Stage
from bot.slack.blocks import playbook as playbook_blocks
from bot.slack.ids import ActionId
from bot.vocabulary import IncidentType
from tests.support.incident_channel import (
    PHASES,
    assign,
    buttons,
    click_step,
    closed,
    command,
    open_incident,
    phase_messages,
    step_text,
    timeline,
)

TIME_BOXES = {
    "Triage": "0–15 min",
    "Scope": "15–60 min",
    "Mitigate": "1–4 h",
    "Post-incident": "24–72 h",
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def summary(stage: Stage, channel: str) -> str:
    return str(stage.slack.pins(channel)[0].blocks)


@pytest.mark.parametrize("incident_type", [t.value for t in IncidentType])
async def test_playbook_for_the_type_is_posted_one_message_per_phase(
    stage: Stage, incident_type: str
) -> None:
    channel = await open_incident(stage, incident_type)
    playbook = stage.deps.playbooks[IncidentType(incident_type)]
    messages = phase_messages(stage, channel)
    assert list(messages) == list(PHASES)
    for phase in playbook.phases:
        message = messages[phase.name]
        header = message.blocks[0]["text"]["text"]
        assert header == f"{phase.name} · {TIME_BOXES[phase.name]}"
        assert len(message.blocks) <= MESSAGE_MAX_BLOCKS
        for step in phase.steps:
            assert step_text(message, step.id).startswith("⬜")
            ids = [b["action_id"] for b in buttons(message) if b["_block"].endswith(f":{step.id}")]
            expected = [ActionId.STEP_DONE, ActionId.STEP_SKIP]
            assert ids == expected + ([ActionId.CONTAINMENT_RUN] if step.action else [])
    await stage.settle()
    assert len(phase_messages(stage, channel)) == 4  # posted once, not again on later ticks


async def test_done_and_skip_update_the_message_timeline_and_summary(stage: Stage) -> None:
    channel = await open_incident(stage)
    await assign(stage, "commander", "U_ALICE", channel)
    triage = phase_messages(stage, channel)["Triage"]
    assert "*Playbook*\\n0/18 steps" in summary(stage, channel)

    await click_step(stage, channel, triage, "confirm-failure", ActionId.STEP_DONE, "U_CAROL")
    await click_step(stage, channel, triage, "confirm-failure", ActionId.STEP_DONE, "U_CAROL")
    await click_step(stage, channel, triage, "post-acknowledgement", ActionId.STEP_SKIP, "U_BOB")
    await stage.eventually(closed(stage, channel, "Triage", "2/3"))
    await stage.settle()

    triage = phase_messages(stage, channel)["Triage"]
    assert triage.edits  # edited in place, not posted again
    done = step_text(triage, "confirm-failure")
    assert done.startswith("✅") and "Done by <@U_CAROL>" in done
    assert "Skipped by <@U_BOB>" in step_text(triage, "post-acknowledgement")
    assert "2/3 closed" in str(triage.blocks)
    step_buttons = [b["action_id"] for b in buttons(triage) if b["_block"].endswith("-failure")]
    assert step_buttons == [ActionId.STEP_REOPEN]
    events = await timeline(stage, "step")
    assert [(e.actor, e.data["step"], e.data["state"]) for e in events] == [
        ("U_CAROL", "confirm-failure", "done"),
        ("U_BOB", "post-acknowledgement", "skipped"),
    ]  # the double click is recorded once
    assert all(e.at.tzinfo is not None for e in events)
    assert "*Playbook*\\n2/18 steps" in summary(stage, channel)

    await click_step(stage, channel, triage, "confirm-failure", ActionId.STEP_REOPEN, "U_CAROL")
    await stage.eventually(closed(stage, channel, "Triage", "1/3"))
    await stage.settle()
    assert step_text(phase_messages(stage, channel)["Triage"], "confirm-failure").startswith("⬜")
    assert "*Playbook*\\n1/18 steps" in summary(stage, channel)


async def test_type_change_posts_the_new_playbook_and_keeps_done_steps(stage: Stage) -> None:
    channel = await open_incident(stage, "hallucination")
    await assign(stage, "commander", "U_ALICE", channel)
    old = phase_messages(stage, channel)
    await click_step(
        stage, channel, old["Triage"], "confirm-failure", ActionId.STEP_DONE, "U_CAROL"
    )
    await click_step(
        stage, channel, old["Scope"], "high-risk-review", ActionId.STEP_DONE, "U_ALICE"
    )
    await click_step(stage, channel, old["Scope"], "check-changes", ActionId.STEP_SKIP, "U_CAROL")
    await stage.eventually(closed(stage, channel, "Scope", "2/4"))
    await stage.eventually(closed(stage, channel, "Triage", "1/3"))

    await command(stage, "type quality_regression", user="U_ALICE", channel=channel)
    await stage.eventually(lambda: "Roll back prompt" in str(phase_messages(stage, channel)))
    await stage.settle()

    new = phase_messages(stage, channel)
    assert set(new) == set(PHASES)
    assert {m.ts for m in new.values()}.isdisjoint(m.ts for m in old.values())
    assert "Done by <@U_CAROL>" in step_text(new["Triage"], "confirm-failure")  # kept
    assert step_text(new["Scope"], "check-changes").startswith("⬜")  # skip reopened
    assert "Roll back prompt" in str(new["Mitigate"].blocks)
    replaced = [stage.slack.workspace.message(channel, m.ts) for m in old.values()]
    assert all("replaced by the Quality regression playbook" in str(m.blocks) for m in replaced)
    assert all(not buttons(m) for m in replaced)
    assert "*Playbook*\\n1/16 steps" in summary(stage, channel)
    [merge] = [e for e in await timeline(stage, "step") if "replaces" in e.text]
    assert merge.data["kept"] == ["confirm-failure"]

    # A button on the replaced checklist for a step the new playbook lacks explains itself.
    stale = stage.slack.workspace.message(channel, old["Mitigate"].ts)
    await stage.click(
        ActionId.STEP_DONE,
        "1:disable-feature",
        user="U_CAROL",
        channel=channel,
        message_ts=stale.ts,
    )
    await stage.eventually(lambda: bool(stage.slack.responses()))
    assert "not in the Quality regression playbook" in stage.slack.responses()[-1].body["text"]


async def test_a_phase_open_past_its_time_box_nudges_its_owners_once(stage: Stage) -> None:
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    stage.deps.clock = clock
    channel = await open_incident(stage)
    await assign(stage, "engineering", "U_CAROL", channel)
    triage = phase_messages(stage, channel)["Triage"]
    await click_step(stage, channel, triage, "assign-roles", ActionId.STEP_DONE, "U_ALICE")
    await stage.eventually(
        lambda: "1/3 closed" in str(phase_messages(stage, channel)["Triage"].blocks)
    )
    clock.advance(minutes=14)
    await stage.settle()
    assert not _nudges(stage, channel)

    clock.advance(minutes=2)  # 16 min after declaration: Triage (0–15 min) is late
    await stage.settle()
    [nudge] = _nudges(stage, channel)
    assert "*Triage* was due" in nudge
    assert "<@U_CAROL> (engineering)" in nudge
    assert "comms (nobody holds it yet)" in nudge
    assert "Confirm you are the incident commander" not in nudge  # done steps are not nagged

    clock.advance(minutes=5)
    await stage.settle()
    assert len(_nudges(stage, channel)) == 1  # idempotent

    scope = phase_messages(stage, channel)["Scope"]
    for step_id in ("sample-queries", "check-changes", "high-risk-review", "status-update"):
        await click_step(stage, channel, scope, step_id, ActionId.STEP_SKIP, "U_ALICE")
    await stage.eventually(
        lambda: "4/4 closed" in str(phase_messages(stage, channel)["Scope"].blocks)
    )
    clock.advance(minutes=45)  # past Scope's 60 min, but every Scope step is closed
    await stage.settle()
    assert len(_nudges(stage, channel)) == 1
    events = [e.text for e in await timeline(stage, "step") if e.actor == "bot"]
    assert events == ["Nudged owners: phase triage past its time box with 2 open steps"]


def _nudges(stage: Stage, channel: str) -> list[str]:
    return [m.text for m in stage.slack.messages(channel) if m.text.startswith("⏰ *")]


def test_a_long_phase_stays_within_slack_block_limits() -> None:
    steps = [{"id": f"step-{i}", "text": f"Step {i}", "owner": "engineering"} for i in range(30)]
    phase = Phase.model_validate(
        {"id": "long", "name": "Long", "starts_after_min": 0, "due_after_min": 15, "steps": steps}
    )
    view = PhaseView(
        message_id=1,
        incident_id=1,
        number=1,
        playbook_title="Custom",
        phase=phase,
        position=0,
        phase_count=1,
        due_at=datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
        steps={},
    )
    blocks = [b.to_dict() for b in playbook_blocks.phase_blocks(view)]
    assert len(blocks) <= MESSAGE_MAX_BLOCKS
    assert "7 more steps are not shown" in str(blocks[-1])
