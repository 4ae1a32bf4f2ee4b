"""Slack latency: how fast the bot acks, and how fast an alert becomes a channel.

Runs `incidentbot serve --role web` and `incidentbot worker` as separate processes against a fresh
database and the local Slack stand-in, and prints:
- alert → `conversations.create` and alert → first post in the channel, one alert at a time, with
  a Slack that answers at once (0 ms);
- alert → channel ready (created, topic set, responders invited, summary pinned) with 20 ms added
  to every Slack call;
- ack latency for 500 signed slash commands and button clicks, 50 at a time (from a separate
  process), alone and again while alerts pour in from a second load process.

    python -m benchmarks.slack_ack [--requests 500] [--alerts 40] [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx

from benchmarks.common import database, figures, run, until_listening
from benchmarks.load import Request, blast
from bot.sandbox.slack import signing
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.slack.ids import ActionId
from tests.support.processes import serve_process, worker_process

TOKEN = "bench-token"
SECRET = "bench-signing-secret"
CONCURRENCY = 50
SLACK_LATENCY_S = 0.02
RESPONDERS = ["U_BOB", "U_CAROL"]
ALERT_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def alert(key: str) -> dict[str, object]:
    return {
        "title": f"Answers degraded {key}",
        "dedupe_key": key,
        "labels": {"feature": key, "ai_incident_type": "quality_regression"},
    }


def incident_channel(slack: FakeSlack, key: str) -> str | None:
    return next((c.id for c in slack.workspace.channels.values() if key in c.name), None)


def ready(slack: FakeSlack, channel_id: str) -> bool:
    channel = slack.channel(channel_id)
    return bool(channel.topic and channel.pins and set(RESPONDERS) <= set(channel.members))


async def until(check: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("not in time")
        await asyncio.sleep(0.001)


def first_at(slack: FakeSlack, method: str, **args: str) -> float:
    """When the stand-in first saw `method` with these arguments (epoch seconds)."""
    for call in slack.calls(method):
        if all(call.args.get(k) == v for k, v in args.items()):
            return call.at.timestamp()
    raise LookupError(method)


async def time_to_channel(
    url: str, slack: FakeSlack, n: int, label: str
) -> tuple[list[float], list[float], list[float]]:
    """Send alerts one after another: seconds to create, to first post, to a ready channel."""
    create, post, done = [], [], []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for i in range(n):
            key = f"{label}-{i:03d}"
            sent = datetime.now(UTC).timestamp()
            response = await http.post("/alerts/generic", json=alert(key), headers=ALERT_HEADERS)
            assert response.status_code == 202, response.text
            await until(lambda k=key: incident_channel(slack, k) is not None)
            channel = incident_channel(slack, key)
            assert channel is not None
            await until(lambda c=channel: ready(slack, c))
            done.append(datetime.now(UTC).timestamp() - sent)
            name = slack.channel(channel).name
            create.append(first_at(slack, "conversations.create", name=name) - sent)
            post.append(first_at(slack, "chat.postMessage", channel=channel) - sent)
    return create, post, done


def requests_to_ack(slack: FakeSlack, n: int) -> list[Request]:
    """Half slash commands, half button clicks, in the incident channels already open."""
    channels = [c for c in slack.workspace.channels.values() if ready(slack, c.id)]
    built = []
    for i in range(n):
        channel = channels[i % len(channels)]
        if i % 2:
            signed = signing.slash_command(
                SECRET,
                text=f"note check {i}",
                user_id=f"U_BENCH{i}",
                channel_id=channel.id,
                trigger_id=slack.issue_trigger_id("U_ALICE"),
                response_url=slack.new_response_url(channel_id=channel.id),
            )
        else:
            pinned = slack.pins(channel.id)[0]
            value = next(
                e["value"]
                for b in pinned.blocks
                for e in b.get("elements", [])
                if str(e.get("action_id", "")).startswith(ActionId.TAKE_ROLE)
            )
            signed = signing.block_action(
                SECRET,
                user_id="U_ALICE",
                action_id=f"{ActionId.TAKE_ROLE}:commander",
                value=value,
                channel_id=channel.id,
                message_ts=pinned.ts,
                trigger_id=slack.issue_trigger_id("U_ALICE"),
                response_url=slack.new_response_url(channel_id=channel.id),
            )
        built.append(Request("/slack/events", signed.body, signed.headers))
    return built


@asynccontextmanager
async def bot(kind: str, slack: FakeSlack, role: str = "web") -> AsyncIterator[str]:
    """The bot on a fresh database, as a web process and a worker process (or one process with
    `role="all"`); yields its URL."""
    async with database(kind) as db_url:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
            cfg.write(f"default_responders: {RESPONDERS}\n")
            # Every alert here is its own incident, as fast as they come: no storm cap or pace.
            cfg.write("storm: {max_new_incidents: 10000, channels_per_minute: 100}\n")
            cfg.flush()
            env = {
                "DATABASE_URL": db_url,
                "INCIDENTBOT_WEBHOOK_TOKEN": TOKEN,
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "INCIDENTBOT_CONFIG": cfg.name,
            }
            async with serve_process(env, role=role) as web:
                if role == "all":
                    yield web.url
                    return
                async with worker_process(env):
                    await until_listening(db_url)  # booted: timings start with a ready worker
                    yield web.url


async def opening(kind: str, n_alerts: int) -> None:
    for role in ("web", "all"):
        shape = "web + worker processes" if role == "web" else "one process"
        async with FakeSlack() as slack, bot(kind, slack, role) as url:
            create, post, _ = await time_to_channel(url, slack, n_alerts, "fast")
        print(f"[{kind}] {shape}: " + figures("alert → conversations.create (Slack 0 ms)", create))
        print(f"[{kind}] {shape}: " + figures("alert → first channel post (Slack 0 ms)", post))
        async with FakeSlack(latency_s=SLACK_LATENCY_S) as slack, bot(kind, slack, role) as url:
            _, _, done = await time_to_channel(url, slack, n_alerts, "slow")
        ready_name = "alert → channel ready (Slack +20 ms per call)"
        print(f"[{kind}] {shape}: " + figures(ready_name, done))


async def acks(kind: str, n_requests: int) -> None:
    async with FakeSlack(latency_s=SLACK_LATENCY_S) as slack, bot(kind, slack) as url:
        for user in range(n_requests):
            slack.add_user(f"U_BENCH{user}", f"bench{user}", f"bench{user}@example.com")
        await time_to_channel(url, slack, 10, "ack")
        alone = await blast(url, requests_to_ack(slack, n_requests), CONCURRENCY)
        name = "ack (slash commands + button clicks, 50 at a time)"
        print(f"[{kind}] " + figures(name, alone.latencies_s, alone.elapsed_s))
        bodies = (json.dumps(alert(f"storm-{i % 20}")).encode() for i in range(20_000))
        storm = [Request("/alerts/generic", body, ALERT_HEADERS) for body in bodies]
        alerts = asyncio.ensure_future(blast(url, storm, CONCURRENCY))
        await asyncio.sleep(1.0)  # the alerts are pouring in
        during = await blast(url, requests_to_ack(slack, n_requests), CONCURRENCY)
        alerts_done = await alerts
        name = "ack while alerts arrive"
        print(f"[{kind}] " + figures(name, during.latencies_s, during.elapsed_s))
        meanwhile = figures("alerts", alerts_done.latencies_s, alerts_done.elapsed_s)
        print(f"[{kind}]   meanwhile {meanwhile}")
        for outcome in (alone, during):
            if set(outcome.statuses) != {200} or outcome.errors:
                print(f"[{kind}]   answers {outcome.statuses}, transport errors {outcome.errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--alerts", type=int, default=40)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()

    async def everything() -> None:
        for kind in args.db.split(","):
            await opening(kind, args.alerts)
            await acks(kind, args.requests)

    run(everything())


if __name__ == "__main__":
    main()
