"""A Slack request is acked at once and its work stored before the ack; the worker runs it once."""

from __future__ import annotations

import asyncio
import time

import pytest
from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.db import session_scope
from bot.jobs.kinds import JobKind
from bot.models import DueWork
from bot.sandbox.slack import signing
from bot.sandbox.stage import Stage
from bot.slack.listening import listen


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


async def test_slack_retrying_an_event_with_its_id_queues_its_work_once(stage: Stage) -> None:
    event = {"type": "pin_added", "user": "U_ALICE", "channel_id": "C_GENERAL", "event_ts": "1.0"}
    await stage.event(event, event_id="EvSAME")
    await stage.event({**event, "event_ts": "1.5"}, event_id="EvSAME", retry_num=1)
    assert len(await queued(stage)) == 1


async def test_a_failed_ack_queues_no_work(stage: Stage) -> None:
    ran: list[str] = []

    async def failing_ack(ack: AsyncAck) -> None:
        raise RuntimeError("the check itself broke")

    async def work() -> None:
        ran.append("work")

    listen(stage.runtime.app.command("/broken"), work, ack=failing_ack)
    request = signing.slash_command(
        stage.secret,
        text="",
        command="/broken",
        user_id="U_ALICE",
        channel_id="C_GENERAL",
        trigger_id=stage.slack.issue_trigger_id("U_ALICE"),
        response_url=stage.slack.new_response_url(channel_id="C_GENERAL", user_id="U_ALICE"),
    )
    assert (await stage.send(request)).status_code == 500
    await stage.settle()
    assert await queued(stage) == [] and ran == []


async def test_a_passing_slack_failure_is_retried_not_reported(stage: Stage) -> None:
    stage.slack.fail_next("views.open", status=500)
    assert (await stage.command("declare")).status_code == 200
    await stage.eventually(lambda: len(stage.slack.views()) == 1, timeout_s=10)
    assert len(stage.slack.calls("views.open")) == 2
    assert stage.slack.responses() == []  # the person saw the form, never an error


async def test_a_passing_failure_on_the_last_try_is_told_to_the_person(stage: Stage) -> None:
    stage.slack.fail_next("views.open", status=500, times=100)
    assert (await stage.command("declare")).status_code == 200
    [stored] = await queued(stage)
    with pytest.raises(SlackApiError):  # raised to the worker, which runs it again
        await stage.runtime.run_queued(stored.payload)
    assert stage.slack.responses() == []
    await stage.runtime.run_queued(stored.payload, last_try=True)
    [told] = stage.slack.responses()
    assert "Something went wrong" in str(told.body.get("text"))


async def test_work_that_opens_a_modal_does_not_wait_behind_its_channel(stage: Stage) -> None:
    await stage.command("list")
    await stage.command("declare")
    list_work, declare_work = sorted(await queued(stage), key=lambda row: row.id)
    assert list_work.sequence_key == "C_GENERAL"
    assert declare_work.sequence_key is None


async def test_a_replay_with_a_new_timestamp_and_same_trigger_id_runs_once(stage: Stage) -> None:
    trigger = stage.slack.issue_trigger_id("U_ALICE")
    url = stage.slack.new_response_url(channel_id="C_GENERAL", user_id="U_ALICE")
    for ts, name in ((int(time.time()) - 60, "general"), (int(time.time()), "general-renamed")):
        replay = signing.slash_command(
            stage.secret,
            text="list",
            user_id="U_ALICE",
            channel_id="C_GENERAL",
            channel_name=name,  # a re-encoded body: not byte-identical, the same command
            trigger_id=trigger,
            response_url=url,
            ts=ts,
        )
        assert (await stage.send(replay)).status_code == 200
    await stage.settle()
    assert len(await queued(stage)) == 1
    assert len(stage.slack.responses()) == 1


async def test_the_bot_asks_who_it_is_at_start_up_not_in_the_first_burst(stage: Stage) -> None:
    assert len(stage.slack.calls("auth.test")) == 1  # the stage has started like `serve`
    stage.deps.wake_worker = lambda: None
    responses = await asyncio.gather(*(stage.send(list_command(stage)) for _ in range(20)))
    assert {r.status_code for r in responses} == {200}
    assert len(stage.slack.calls("auth.test")) == 1
