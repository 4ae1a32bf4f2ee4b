"""The postmortem as a document in its channel: a canvas edited in place, or a Markdown file
where the workspace has no canvases; once per revision whatever Slack loses."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sandbox.stage import Stage
from tests.support.followup import open_incident, start_clock, texts

T0 = datetime(2026, 11, 23, 2, 50, tzinfo=UTC)


async def write(stage: Stage, channel: str, args: str = "") -> None:
    await stage.command(f"postmortem {args}".strip(), user="U_ALICE", channel=channel)
    await stage.settle()


def summary(stage: Stage, channel: str) -> str:
    return str(stage.slack.pins(channel)[0].blocks)


async def test_the_canvas_is_created_once_and_edited_on_each_revision(stage: Stage) -> None:
    start_clock(stage, T0)
    channel = await open_incident(stage)
    stage.slack.fail_next("conversations.canvases.create", status=500, applied=True)
    await write(stage, channel)
    stage.deps.clock.advance(seconds=5)  # type: ignore[attr-defined]  # the retry's backoff
    await stage.settle()
    [canvas] = stage.slack.workspace.canvases.values()  # the lost answer made no second one
    assert stage.slack.channel(channel).canvas == canvas.id
    assert canvas.title == "Postmortem — #1 Support assistant quotes a 60-day refund window"
    assert canvas.markdown.startswith("# Postmortem — INC-1")
    assert "Alice Archer" in canvas.markdown  # people by name
    assert [c.ok for c in stage.slack.calls("conversations.info")][-1]  # found it there
    link = f"https://fake-workspace.slack.com/docs/T_FAKE/{canvas.id}"
    assert f"<{link}|Postmortem>" in summary(stage, channel)
    assert any(
        f"(draft, revision 1): <{link}|open the postmortem>" in t for t in texts(stage, channel)
    )

    await stage.command("resolve --override no eval suite yet", user="U_ALICE", channel=channel)
    await stage.settle()
    await write(stage, channel, "review")
    assert len(stage.slack.workspace.canvases) == 1
    assert "**State:** in review" in canvas.markdown and canvas.history[-1] != canvas.markdown
    assert any("(in review, revision 2)" in t for t in texts(stage, channel))


async def test_without_canvases_each_revision_is_a_file_replacing_the_last(stage: Stage) -> None:
    start_clock(stage, T0)
    stage.slack.workspace.settings.canvas_error = "team_tier_cannot_create_channel_canvases"
    channel = await open_incident(stage)
    stage.slack.fail_next("files.completeUploadExternal", status=500, applied=True)
    await write(stage, channel)
    stage.deps.clock.advance(seconds=5)  # type: ignore[attr-defined]  # the retry's backoff
    await stage.settle()
    files = stage.slack.workspace.files
    [shared] = [f for f in files.values() if f.channels]  # one share, though its answer was lost
    assert shared.filename == "postmortem-incident-1.md" and shared.channels == [channel]
    assert shared.content is not None and shared.content.startswith(b"# Postmortem")
    assert shared.title == "Postmortem #1 (draft, revision 1)"
    [message] = [m for m in stage.slack.messages(channel) if m.files]
    assert "has no canvases here" in message.text
    assert f"{shared.id}/postmortem-incident-1.md|Postmortem>" in summary(stage, channel)

    await write(stage, channel)
    live = [f for f in files.values() if f.channels and not f.deleted]
    assert len(live) == 1 and live[0].id != shared.id and shared.deleted
    assert live[0].title == "Postmortem #1 (draft, revision 2)"
    assert stage.slack.workspace.canvases == {}
