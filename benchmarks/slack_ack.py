"""Slack latency: how fast the bot acks, and how fast an alert becomes a ready channel.

Runs `incidentbot serve` against a fresh SQLite file and a fresh PostgreSQL database, with the
local Slack stand-in adding 20 ms to every Web API call, and prints:
- ack latency for 500 signed slash commands and button clicks sent 50 at a time (p50/p99);
- alert → channel ready (channel created, topic set, responders invited, summary pinned) (p50/p99).

    python -m benchmarks.slack_ack [--requests 500] [--alerts 40] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import httpx

from benchmarks.common import database, figures
from bot.sandbox import signing
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.processes import serve_process
from bot.slack.ids import ActionId

TOKEN = "bench-token"
SECRET = "bench-signing-secret"
CONCURRENCY = 50
SLACK_LATENCY_S = 0.02
RESPONDERS = ["U_BOB", "U_CAROL"]


async def channel_ready(slack: FakeSlack, key: str, timeout_s: float = 30) -> None:
    """Wait until the incident channel for `key` has its topic, responders and pinned summary."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        channel = next((c for c in slack.workspace.channels.values() if key in c.name), None)
        if channel and channel.topic and channel.pins and set(RESPONDERS) <= set(channel.members):
            return
        await asyncio.sleep(0.002)
    raise TimeoutError(f"channel for {key} not ready in {timeout_s} s")


async def alert_to_channel(http: httpx.AsyncClient, slack: FakeSlack, n: int) -> list[float]:
    """Send alerts one after another and time each until its channel is ready."""
    latencies = []
    for i in range(n):
        key = f"bench-{i:03d}"
        body = {
            "title": f"Answers degraded {key}",
            "dedupe_key": key,
            "labels": {"feature": key, "ai_incident_type": "quality_regression"},
        }
        started = time.perf_counter()
        response = await http.post(
            "/alerts/generic", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status_code == 202, response.text
        await channel_ready(slack, key)
        latencies.append(time.perf_counter() - started)
    return latencies


def requests_to_ack(slack: FakeSlack, n: int) -> list[signing.SignedRequest]:
    """Half slash commands, half button clicks, in the incident channels just opened."""
    channels = [c for c in slack.workspace.channels.values() if c.name.startswith("inc-")]
    built = []
    for i in range(n):
        channel = channels[i % len(channels)]
        user = f"U_BENCH{i}"
        if i % 2:
            built.append(
                signing.slash_command(
                    SECRET,
                    text=f"note check {i}",
                    user_id=user,
                    channel_id=channel.id,
                    trigger_id=slack.issue_trigger_id("U_ALICE"),
                    response_url=slack.new_response_url(channel_id=channel.id),
                )
            )
        else:
            pinned = slack.pins(channel.id)[0]
            value = next(
                e["value"]
                for b in pinned.blocks
                for e in b.get("elements", [])
                if str(e.get("action_id", "")).startswith(ActionId.TAKE_ROLE)
            )
            built.append(
                signing.block_action(
                    SECRET,
                    user_id="U_ALICE",
                    action_id=f"{ActionId.TAKE_ROLE}:commander",
                    value=value,
                    channel_id=channel.id,
                    message_ts=pinned.ts,
                    trigger_id=slack.issue_trigger_id("U_ALICE"),
                    response_url=slack.new_response_url(channel_id=channel.id),
                )
            )
    return built


def ack_latencies(url: str, reqs: list[tuple[bytes, dict[str, str]]]) -> list[float]:
    """Send signed requests CONCURRENCY at a time; time each until its HTTP answer.

    Runs in its own process, so the Slack stand-in (busy serving the bot) does not delay it.
    """

    async def send_all() -> list[float]:
        latencies: list[float] = []
        gate = asyncio.Semaphore(CONCURRENCY)
        limits = httpx.Limits(max_connections=CONCURRENCY)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:

            async def one(body: bytes, headers: dict[str, str]) -> None:
                async with gate:
                    started = time.perf_counter()
                    response = await http.post("/slack/events", content=body, headers=headers)
                    latencies.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text

            await asyncio.gather(*(one(body, headers) for body, headers in reqs))
        return latencies

    return asyncio.run(send_all())


async def run(kind: str, n_requests: int, n_alerts: int) -> None:
    async with database(kind) as db_url, FakeSlack(latency_s=SLACK_LATENCY_S) as slack:
        for user in range(n_requests):
            slack.add_user(f"U_BENCH{user}", f"bench{user}", f"bench{user}@example.com")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
            cfg.write(f"default_responders: {RESPONDERS}\n")
            cfg.flush()
            env = {
                "DATABASE_URL": db_url,
                "INCIDENTBOT_WEBHOOK_TOKEN": TOKEN,
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "INCIDENTBOT_CONFIG": cfg.name,
            }
            async with (
                serve_process(env) as url,
                httpx.AsyncClient(
                    base_url=url, timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY)
                ) as http,
            ):
                started = time.perf_counter()
                ready = await alert_to_channel(http, slack, n_alerts)
                print(
                    f"[{kind}] "
                    + figures(
                        "alert → channel ready (Slack +20 ms/call)",
                        ready,
                        time.perf_counter() - started,
                    )
                )
                reqs = [(r.body, r.headers) for r in requests_to_ack(slack, n_requests)]
                started = time.perf_counter()
                with ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn")
                ) as pool:
                    acks = await asyncio.get_running_loop().run_in_executor(
                        pool, ack_latencies, url, reqs
                    )
                print(
                    f"[{kind}] "
                    + figures(
                        "ack (slash commands + button clicks, 50 at a time)",
                        acks,
                        time.perf_counter() - started,
                    )
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--alerts", type=int, default=40)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    for kind in args.db.split(","):
        asyncio.run(run(kind, args.requests, args.alerts))


if __name__ == "__main__":
    main()
