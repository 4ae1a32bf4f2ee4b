"""A Slack request is acked at once and its work stored before the ack; the worker runs it once."""

from __future__ import annotations

from sqlalchemy import select

from bot.db import session_scope
from bot.jobs.kinds import JobKind
from bot.models import DueWork
from bot.sandbox import signing
from bot.sandbox.stage import Stage


async def queued(stage: Stage) -> list[DueWork]:
    async with session_scope(stage.deps.sessions) as session:
        stmt = select(DueWork).where(DueWork.kind == JobKind.SLACK_REQUEST)
        return list((await session.scalars(stmt)).all())


def list_command(stage: Stage) -> signing.SignedRequest:
    return signing.slash_command(
        stage.secret,
        text="list",
        user_id="U_ALICE",
        channel_id="C_GENERAL",
        trigger_id=stage.slack.issue_trigger_id("U_ALICE"),
        response_url=stage.slack.new_response_url(channel_id="C_GENERAL", user_id="U_ALICE"),
    )


async def test_the_ack_stores_the_work_and_the_worker_does_it(stage: Stage) -> None:
    stage.deps.wake_worker = lambda: None  # as in a web-only process: the worker is elsewhere
    response = await stage.send(list_command(stage))
    assert response.status_code == 200 and response.text == ""
    [stored] = await queued(stage)
    assert stored.payload["function"] == "incident_command" and stored.done_at is None
    assert stage.slack.responses() == []  # nothing is done in the request itself
    await stage.settle()
    [reply] = stage.slack.responses()
    assert "No open incidents" in str(reply.body.get("text"))
    assert (await queued(stage))[0].done_at is not None


async def test_a_replayed_request_is_done_once(stage: Stage) -> None:
    request = list_command(stage)
    for _ in range(3):
        assert (await stage.send(request)).status_code == 200
    await stage.settle()
    assert len(await queued(stage)) == 1
    assert len(stage.slack.responses()) == 1


async def test_a_usage_error_is_the_whole_answer_and_queues_nothing(stage: Stage) -> None:
    response = await stage.command("severity P9")
    assert response.status_code == 200
    assert "P1" in response.json()["text"] and response.json()["response_type"] == "ephemeral"
    await stage.settle()
    assert await queued(stage) == []


async def test_signatures_are_checked_before_anything_is_parsed(stage: Stage) -> None:
    junk = [b"\xff\xfe not utf-8", b"{" * 5000, b"payload=%7Bnot json", b"token=x\x00y"]
    for body in junk:
        unsigned = await stage.http.post(
            "/slack/events", content=body, headers={"Content-Type": signing.FORM}
        )
        assert unsigned.status_code == 401
    for body in junk[:3]:
        signed = signing.sign(stage.secret, body, content_type=signing.FORM)
        response = await stage.http.post(
            "/slack/events", content=signed.body, headers=signed.headers
        )
        assert response.status_code == 400
    stale = signing.sign(stage.secret, b"command=%2Fincident", content_type=signing.FORM, ts=1)
    response = await stage.http.post("/slack/events", content=stale.body, headers=stale.headers)
    assert response.status_code == 401
    assert await queued(stage) == []
