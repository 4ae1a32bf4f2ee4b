"""Incidents opened by a quality signal in Slack: the control chart shared through the external
upload flow at open and at resolve, served as PNG, linked from the postmortem; and the eval
loop: "Run evals" calls the eval runner once per click, its results validate the fix."""

from __future__ import annotations

import json
import random
import struct
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.config import Config
from bot.sandbox.slack import signing
from bot.sandbox.stage import Stage
from bot.slack.ids import ActionId
from tests.support.followup import (
    FEATURE,
    api_headers,
    contain,
    events,
    incident,
    open_incident,
    post_eval,
    said,
    start_clock,
    texts,
)
from tests.support.server import RunningServer, run_server

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
RUNNER_TOKEN = "runner-secret-token"
SIGNALS = {
    "watch": [
        {
            "name": "groundedness",
            "title": "Groundedness",
            "direction": "lower_is_bad",
            "baseline": {"points": 60, "min_points": 30},
        }
    ]
}


class Runner:
    """A local eval runner that records what it is asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], Any]] = []

    def app(self) -> Starlette:
        async def run(request: Request) -> JSONResponse:
            self.calls.append((dict(request.headers), await request.json()))
            return JSONResponse({"run": f"r-{len(self.calls)}"}, status_code=202)

        return Starlette(routes=[Route("/runs", run, methods=["POST"])])


@pytest.fixture
async def runner() -> AsyncIterator[tuple[Runner, RunningServer]]:
    found = Runner()
    async with run_server(found.app()) as running:
        yield found, running


@pytest.fixture
def config() -> Config:
    return Config.model_validate({"signals": SIGNALS})


async def post_points(stage: Stage, values: list[float], start: int) -> None:
    token = stage.deps.settings.webhook_token
    assert token is not None
    body = {
        "signal": "groundedness",
        "feature": FEATURE,
        "points": [
            {"at": (T0 + timedelta(minutes=start + i)).isoformat(), "value": round(v, 4)}
            for i, v in enumerate(values)
        ],
    }
    answer = await stage.http.post(
        "/signals",
        content=json.dumps(body),
        headers={
            "Authorization": f"Bearer {token.get_secret_value()}",
            "Content-Type": "application/json",
        },
    )
    assert answer.status_code == 202, answer.text


def steady(count: int, mean: float = 0.83, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean, 0.02) for _ in range(count)]


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", content[16:24])
    return width, height


async def test_the_chart_is_shared_at_open_and_resolve_and_linked_from_the_postmortem(
    stage: Stage,
) -> None:
    clock = start_clock(stage, T0 + timedelta(minutes=90))
    change = {
        "kind": "prompt",
        "feature": FEATURE,
        "from": "v11",
        "to": "v12",
        "at": (T0 + timedelta(minutes=59)).isoformat(),
    }
    posted = await stage.http.post("/changes", json=change, headers=api_headers(stage))
    assert posted.status_code == 201
    await post_points(stage, steady(60), 0)
    stage.slack.fail_next("files.completeUploadExternal", status=500, applied=True)
    await post_points(stage, steady(25, mean=0.77, seed=2), 60)
    await stage.settle()
    clock.advance(seconds=5)  # past the retry's backoff
    await stage.eventually(lambda: any(f.channels for f in stage.slack.workspace.files.values()))

    row = await incident(stage)
    assert row.title == f"Groundedness of {FEATURE} is lower than its baseline"
    channel = row.channel_id
    assert channel is not None
    [opened] = [f for f in stage.slack.workspace.files.values() if f.channels]
    assert opened.filename == "incident-1-groundedness-opened.png" and opened.channels == [channel]
    assert opened.content is not None and png_size(opened.content) == (1000, 600)
    assert len(stage.slack.calls("files.getUploadURLExternal")) == 1  # the lost answer: no 2nd
    comment = said(stage, channel, "left its control limits")
    assert "Changes nearby: prompt v12" in comment and "EWMA" in comment

    chart = await stage.http.get("/api/incidents/1/chart.png", headers=api_headers(stage))
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert png_size(chart.content) == (1000, 600)
    missing = await stage.http.get("/api/incidents/9/chart.png", headers=api_headers(stage))
    assert missing.status_code == 404

    await stage.command("role commander <@U_ALICE>", user="U_ALICE", channel=channel)
    clock.advance(minutes=30)
    await post_points(stage, [0.83 + (-1) ** i * 0.005 for i in range(20)], 85)
    await stage.command("resolve --override prompt v11 is back", user="U_ALICE", channel=channel)
    await stage.settle()
    shared = sorted(f.filename for f in stage.slack.workspace.files.values() if f.channels)
    assert shared == ["incident-1-groundedness-opened.png", "incident-1-groundedness-resolved.png"]
    assert "before and after the fix" in said(stage, channel, "before and after")

    await stage.command("postmortem", user="U_ALICE", channel=channel)
    await stage.settle()
    [canvas] = stage.slack.workspace.canvases.values()
    assert "## Charts" in canvas.markdown
    assert "[Control chart when the incident opened](https://" in canvas.markdown
    assert "[Control chart at resolve](https://" in canvas.markdown


@pytest.fixture
def runner_config(runner: tuple[Runner, RunningServer]) -> Config:
    _, running = runner
    return Config.model_validate(
        {
            "providers": {
                "evals": {
                    "kind": "eval_runner",
                    "url": f"{running.url}/runs",
                    "token_env": "EVAL_RUNNER_TOKEN",
                    "options": {
                        "suites": ["refund-policy"],
                        "body": '{"suite": {{ suite | tojson }}, "feature": {{ feature | tojson }},'
                        ' "versions": {{ versions | tojson }}, "incident": {{ incident }}}',
                    },
                }
            },
            "followup": {"validation_required": {"hallucination": True}},
        }
    )


async def test_run_evals_calls_the_runner_once_per_click_and_its_results_validate_the_fix(
    stage: Stage, runner: tuple[Runner, RunningServer], runner_config: Config
) -> None:
    found, _ = runner
    stage.deps.config = runner_config
    stage.deps.environ = {"EVAL_RUNNER_TOKEN": RUNNER_TOKEN}
    clock = start_clock(stage)
    change = {"kind": "model", "feature": FEATURE, "to": "m-2", "at": clock.now.isoformat()}
    assert (await stage.http.post("/changes", json=change, headers=api_headers(stage))).is_success
    channel = await open_incident(stage)
    clock.advance(minutes=5)
    assert (await post_eval(stage, 80, 100)).status_code == 201  # the failure window
    clock.advance(minutes=10)
    await contain(stage, channel)
    offer = [m for m in stage.slack.messages(channel) if "Run the evals" in m.text]
    assert len(offer) == 1 and "`refund-policy` on `evals`" in offer[0].text
    button = offer[0].blocks[-1]["elements"][0]
    assert button["action_id"] == ActionId.RUN_EVALS and button["text"]["text"] == "🧪 Run evals"

    click = signing.block_action(
        stage.secret,
        user_id="U_CAROL",
        action_id=ActionId.RUN_EVALS,
        value=button["value"],
        block_id="eval_offer",
        channel_id=channel,
        message_ts=offer[0].ts,
        trigger_id=stage.slack.issue_trigger_id("U_CAROL"),
        response_url=stage.slack.new_response_url(channel_id=channel, user_id="U_CAROL"),
    )
    assert (await stage.send(click)).status_code == 200
    assert (await stage.send(click)).status_code == 200  # Slack's retry of the same click
    await stage.settle()
    assert len(found.calls) == 1
    headers, body = found.calls[0]
    assert headers["authorization"] == f"Bearer {RUNNER_TOKEN}"
    assert headers["idempotency-key"] == "incidentbot-evals-1"
    assert body == {
        "suite": "refund-policy",
        "feature": FEATURE,
        "versions": {"model": "m-2"},
        "incident": 1,
    }
    assert "accepted the run (HTTP 202)" in said(stage, channel, "Eval runner `evals`")
    assert "waiting for the eval run" in str(stage.slack.pins(channel)[0].blocks)
    assert RUNNER_TOKEN not in json.dumps([t for t in texts(stage, channel)])

    clock.advance(minutes=20)
    assert (await post_eval(stage, 93, 100, incident=1)).status_code == 201  # the runner's
    await stage.settle()
    assert "results in: 93/100 passed" in str(stage.slack.pins(channel)[0].blocks)
    clock.advance(minutes=1)
    await stage.command("resolve fixed", user="U_ALICE", channel=channel)
    await stage.settle()
    assert (await incident(stage)).status == "resolved"
    validated = [e.text for e in await events(stage, "eval") if "Fix validated" in e.text]
    assert validated

    await stage.click(
        ActionId.RUN_EVALS, button["value"], user="U_CAROL", channel=channel, message_ts=offer[0].ts
    )
    await stage.settle()
    assert len(found.calls) == 2  # a second click is a second run
