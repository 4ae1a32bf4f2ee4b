"""The work engine on a bad day: crashes, deploys, lost answers, rate limits, two replicas.

Runs `incidentbot serve --role web` and `incidentbot worker` processes on a fresh PostgreSQL
database against the local Slack stand-in, and prints, for each scenario, how long until the
incident's channel is fully open and whether anything was done twice or not at all:
- the worker is SIGKILLed while opening: before the channel is created, after Slack created it
  but before its id was stored, and while the summary is being posted; a new worker starts;
- the worker is sent SIGTERM while opening, with a second worker running: how soon it takes over;
- Slack answers 429 with Retry-After: 1: how closely the retry keeps to it;
- two full replicas (`serve` with its worker, twice) and a web/worker pair share 30 incidents.

Fully open means: one channel, its summary posted and pinned once, the topic set, responders
invited, the announcement and each playbook phase posted once, and the due role nudge once.

    python -m benchmarks.work_engine [--db postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import select

from benchmarks.common import database, run
from bot.db import make_engine
from bot.jobs.kinds import JobKind
from bot.models import DueWork
from bot.playbook.loader import builtin_playbooks, load_playbooks
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.vocabulary import IncidentType
from tests.support.processes import serve_process, worker_process

TOKEN = "bench-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
RESPONDERS = ["U_BOB", "U_CAROL"]
PHASES = len(load_playbooks(builtin_playbooks())[IncidentType.QUALITY_REGRESSION].phases)
OPEN_WITHIN_S = 60


def alert(key: str) -> dict[str, object]:
    return {
        "title": f"Answers degraded {key}",
        "dedupe_key": key,
        "labels": {"feature": key, "ai_incident_type": "quality_regression"},
    }


def keyed(slack: FakeSlack, channel: str) -> Counter[str]:
    """How many messages in the channel carry each work key (its kind and part)."""
    found: Counter[str] = Counter()
    for message in slack.messages(channel):
        key = str(((message.metadata or {}).get("event_payload") or {}).get("key") or "")
        kind, _, rest = key.partition(":")
        if key.startswith("summary:"):
            found["summary"] += 1
        elif kind:
            part = rest.rsplit(":", 1)[-1]
            found[f"{kind}:{part}" if part else kind] += 1
    return found


def problems(slack: FakeSlack, key: str) -> list[str]:
    """What is missing or doubled for the incident of `key` (empty when fully open, once)."""
    channels = [c for c in slack.workspace.channels.values() if key in c.name]
    if len(channels) != 1:
        return [f"{len(channels)} channels"]
    channel = channels[0]
    posts = keyed(slack, channel.id)
    announced = sum(1 for m in slack.messages("C_GENERAL") if key in m.text)
    phases = [k for k in posts if k.startswith("playbook.post:")]
    found = []
    if posts["summary"] != 1 or len(slack.pins(channel.id)) != 1:
        found.append(f"summary posted {posts['summary']}, pinned {len(slack.pins(channel.id))}")
    if not channel.topic or not set(RESPONDERS) <= set(channel.members):
        found.append("topic or members missing")
    if announced != 1:
        found.append(f"announced {announced}")
    if len(phases) != PHASES or any(posts[p] != 1 for p in phases):
        found.append(f"playbook phases {sorted(posts[p] for p in phases)}")
    if posts["slack.role_nudge"] != 1:
        found.append(f"nudged {posts['slack.role_nudge']}")
    return found


async def fully_open(slack: FakeSlack, key: str, timeout_s: float = OPEN_WITHIN_S) -> float:
    """Seconds until the incident is fully open (or the time-out); keeps checking for doubles."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if not problems(slack, key):
            await asyncio.sleep(1.0)  # anything doubled would show up meanwhile
            if not problems(slack, key):
                return time.monotonic() - started
        await asyncio.sleep(0.05)
    return float("inf")


@contextlib.asynccontextmanager
async def environment(kind: str, slack: FakeSlack) -> AsyncIterator[dict[str, str]]:
    slack.workspace.channels["C_GENERAL"].members.append(slack.bot_user_id)
    async with database(kind) as db_url:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
            cfg.write(
                f"default_responders: {json.dumps(RESPONDERS)}\n"
                "channels: {announce: C_GENERAL}\nrole_nudge_minutes: 0\n"
                # each alert is its own incident here: no storm cap or channel pace
                "storm: {max_new_incidents: 10000, channels_per_minute: 100}\n"
            )
            cfg.flush()
            yield {
                "DATABASE_URL": db_url,
                "INCIDENTBOT_WEBHOOK_TOKEN": TOKEN,
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_SIGNING_SECRET": "bench",
                "SLACK_API_URL": slack.api_url,
                "INCIDENTBOT_CONFIG": cfg.name,
            }


async def until_called(slack: FakeSlack, method: str, count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while len(slack.calls(method)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{method} was not called")
        await asyncio.sleep(0.005)


async def post_alert(url: str, key: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/alerts/generic", json=alert(key), headers=HEADERS)
        assert response.status_code == 202, response.text


def report(kind: str, name: str, seconds: float, found: list[str]) -> None:
    outcome = "exactly once" if not found else "PROBLEMS: " + "; ".join(found)
    timing = f"{seconds:.1f} s" if seconds != float("inf") else "NOT within the time-out"
    print(f"[{kind}] {name}: fully open {timing} after the restart; {outcome}")


async def killed_while_opening(kind: str, name: str, method: str, fault: dict[str, Any]) -> None:
    """A worker dies (SIGKILL) while `method` hangs; a new worker must finish the opening."""
    key = f"kill-{method.replace('.', '-').lower()}"
    async with (
        FakeSlack() as slack,
        environment(kind, slack) as env,
        serve_process(env, role="web") as web,
    ):
        slack.fail_next(method, hang_s=60, **fault)
        async with worker_process(env) as doomed:
            await post_alert(web.url, key)
            await until_called(slack, method, 1)
            os.killpg(doomed.pid, signal.SIGKILL)
        async with worker_process(env):
            seconds = await fully_open(slack, key)
        report(kind, f"SIGKILL {name}", seconds, problems(slack, key))


async def holder_pid(db_url: str) -> int:
    """The pid of the worker holding the opening (worker ids are host:pid:…)."""
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            stmt = select(DueWork.claimed_by).where(DueWork.kind == JobKind.OPEN_CHANNEL)
            holder = (await conn.execute(stmt)).scalar_one()
    finally:
        await engine.dispose()
    return int(str(holder).split(":")[1])


async def terminated_while_opening(kind: str) -> None:
    """SIGTERM to the worker that holds the opening: the other worker takes it over."""
    async with (
        FakeSlack() as slack,
        environment(kind, slack) as env,
        serve_process(env, role="web") as web,
        worker_process(env) as one,
        worker_process(env) as two,
    ):
        slack.fail_next("conversations.create", status=500, hang_s=60)
        await asyncio.sleep(1.0)  # both workers listening
        await post_alert(web.url, "term")
        await until_called(slack, "conversations.create", 1)
        leaving = one if await holder_pid(env["DATABASE_URL"]) == one.pid else two
        signalled = time.monotonic()
        os.killpg(leaving.pid, signal.SIGTERM)
        exited = await asyncio.wait_for(leaving.wait(), 15)
        stopped = time.monotonic() - signalled
        await until_called(slack, "conversations.create", 2)
        taken_over = time.monotonic() - signalled
        seconds = await fully_open(slack, "term")
        found = problems(slack, "term")
    print(
        f"[{kind}] SIGTERM to the worker opening a channel: it exited ({exited}) after "
        f"{stopped:.2f} s, the other worker created the channel {taken_over:.2f} s after the "
        f"signal; fully open {seconds:.1f} s later; "
        + ("exactly once" if not found else "PROBLEMS: " + "; ".join(found))
    )


async def retry_after(kind: str) -> None:
    """Slack answers 429 with Retry-After: 1; the retry should come 1 s later, not a tick later."""
    async with (
        FakeSlack() as slack,
        environment(kind, slack) as env,
        serve_process(env, role="web") as web,
        worker_process(env),
    ):
        await asyncio.sleep(1.0)
        gaps = []
        for i in range(5):
            slack.fail_next("conversations.create", status=429, retry_after=1)
            await post_alert(web.url, f"limited-{i}")
            await until_called(slack, "conversations.create", 2 * (i + 1))
            limited, retried = slack.calls("conversations.create")[-2:]
            gaps.append((retried.at - limited.at).total_seconds())
    late = [round((g - 1) * 1000) for g in gaps]
    print(f"[{kind}] Retry-After: 1 honoured; retries came {late} ms after the second was up")


async def replicas(kind: str, n: int = 30) -> None:
    """Two full replicas and a web/worker pair, alerts spread over all: each thing once."""
    async with (
        FakeSlack() as slack,
        environment(kind, slack) as env,
        serve_process(env) as first,
        serve_process(env) as second,
        serve_process(env, role="web") as web,
        worker_process(env),
    ):
        urls = [first.url, second.url, web.url]
        keys = [f"replica-{i:02d}" for i in range(n)]
        await asyncio.gather(*(post_alert(urls[i % 3], k) for i, k in enumerate(keys)))
        waits = await asyncio.gather(*(fully_open(slack, k) for k in keys))
    found = [f"{k}: {p}" for k in keys for p in problems(slack, k)]
    opened = sum(1 for w in waits if w != float("inf"))
    print(
        f"[{kind}] two replicas and a web/worker pair, {n} incidents: {opened} fully open; "
        + ("everything exactly once" if not found else "PROBLEMS: " + "; ".join(found[:5]))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="postgresql")
    args = parser.parse_args()

    async def everything() -> None:
        for kind in args.db.split(","):
            await killed_while_opening(
                kind, "before the channel is created", "conversations.create", {"status": 500}
            )
            await killed_while_opening(
                kind,
                "after Slack created the channel, before its id was stored",
                "conversations.create",
                {"status": 500, "applied": True},
            )
            await killed_while_opening(
                kind,
                "while the summary is posted (Slack posted it)",
                "chat.postMessage",
                {"status": 500, "applied": True},
            )
            await terminated_while_opening(kind)
            await retry_after(kind)
            await replicas(kind)

    run(everything())


if __name__ == "__main__":
    main()
