"""The stand-in's canvases and external file uploads, through slack_sdk as apps call them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack.fake_slack import FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.token, base_url=slack.api_url)


def markdown(text: str) -> dict[str, str]:
    return {"type": "markdown", "markdown": text}


async def test_a_channel_has_one_canvas_found_through_conversations_info(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    channel = slack.add_channel("inc-1", members=[slack.bot_user_id]).id
    made = await client.api_call(
        "conversations.canvases.create",
        json={"channel_id": channel, "title": "PM", "document_content": markdown("> hi")},
    )
    with pytest.raises(SlackApiError) as again:
        await client.api_call("conversations.canvases.create", json={"channel_id": channel})
    assert again.value.response["error"] == "channel_canvas_already_exists"
    info = await client.conversations_info(channel=channel)
    assert info["channel"]["properties"]["canvas"]["file_id"] == made["canvas_id"]
    change = {"operation": "replace", "document_content": markdown("# New")}
    await client.api_call(
        "canvases.edit", json={"canvas_id": made["canvas_id"], "changes": [change]}
    )
    canvas = slack.workspace.canvases[made["canvas_id"]]
    assert (canvas.markdown, canvas.history) == ("# New", ["> hi"])
    with pytest.raises(SlackApiError) as bad:
        await client.api_call(
            "canvases.edit",
            json={"canvas_id": made["canvas_id"], "changes": [{"operation": "rename"}]},
        )
    assert bad.value.response["error"] == "invalid_arguments"
    found = await client.files_info(file=made["canvas_id"])
    assert found["file"]["permalink"].endswith(f"/docs/T_FAKE/{made['canvas_id']}")


async def test_a_plan_without_canvases_refuses_them(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.workspace.settings.canvas_error = "team_tier_cannot_create_channel_canvases"
    channel = slack.add_channel("inc-1", members=[slack.bot_user_id]).id
    with pytest.raises(SlackApiError) as refused:
        await client.api_call("conversations.canvases.create", json={"channel_id": channel})
    assert refused.value.response["error"] == "team_tier_cannot_create_channel_canvases"


async def test_files_upload_v2_runs_the_documented_external_flow(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    channel = slack.add_channel("inc-1", members=[slack.bot_user_id]).id
    done = await client.files_upload_v2(
        channel=channel,
        content="# Postmortem\n",
        filename="pm.md",
        title="Postmortem #1",
        initial_comment="Here it is",
    )
    [entry] = done["files"]
    file = slack.workspace.files[entry["id"]]
    assert (file.content, file.title, file.channels) == (
        b"# Postmortem\n",
        "Postmortem #1",
        [channel],
    )
    [message] = slack.messages(channel)
    assert message.text == "Here it is" and message.files == [file.id]
    methods = [c.method for c in slack.calls()]
    assert methods[:1] == ["files.getUploadURLExternal"]
    assert "files.completeUploadExternal" in methods


async def test_completing_needs_the_bytes_and_deleted_files_are_gone(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    reserved = await client.files_getUploadURLExternal(filename="a.md", length=3)
    with pytest.raises(SlackApiError) as early:
        await client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}])
    assert early.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as empty:
        await client.files_getUploadURLExternal(filename="a.md", length=0)
    assert empty.value.response["error"] == "missing_argument"
    await client.files_delete(file=reserved["file_id"])
    with pytest.raises(SlackApiError) as gone:
        await client.files_info(file=reserved["file_id"])
    assert gone.value.response["error"] == "file_deleted"
