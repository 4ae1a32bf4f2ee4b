"""Follow-up on a controllable clock: reminders, overdue, digest, restarts, two replicas."""

from __future__ import annotations

import asyncio
import multiprocessing
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import build_worker
from bot.config import Config
from bot.db import make_engine, make_sessionmaker, session_scope
from bot.deps import Deps
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import DueWork, Incident
from bot.postmortem import store as item_store
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.sandbox.stage import Stage
from bot.slack import runtime as slack_runtime
from bot.vocabulary import ActionKind, IncidentType, Severity
from tests.conftest import BACKEND
from tests.support import worker_process
from tests.support.followup import api_headers, open_incident, replies, start_clock

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MANAGERS = "C_MANAGERS"


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "channels": {"managers": MANAGERS},
            "followup": {
                "teams": {"Support AI": ["U_BOB"]},
                "digest": {"weekday": 0, "hour": 9, "tz": "Europe/London"},
            },
        }
    )


def dms(stage: Stage, user: str) -> list[str]:
    """Texts of the bot's direct messages to a user."""
    ims = [c.id for c in stage.slack.workspace.channels.values() if c.is_im and user in c.members]
    return [m.text for c in ims for m in stage.slack.messages(c)]


def managers(stage: Stage) -> list[str]:
    return [m.text for m in stage.slack.messages(MANAGERS)]


async def with_item(stage: Stage, due_on: str = "2026-12-07") -> str:
    stage.slack.add_channel("managers", members=[stage.slack.bot_user_id], channel_id=MANAGERS)
    channel = await open_incident(stage)
    r = await stage.command(
        f'action add "Add refund eval" <@U_BOB> eval_case due {due_on}', channel=channel
    )
    assert r.status_code == 200
    await stage.settle()
    return channel


async def test_reminder_overdue_and_digest_follow_the_clock(stage: Stage) -> None:
    clock = start_clock(stage, MONDAY)
    channel = await with_item(stage)
    # Bob is in New York: reminded 09:00 his time two days before (14:00 UTC), overdue next day.
    clock.now = datetime(2026, 11, 30, 8, 59, tzinfo=UTC)
    await stage.settle()
    assert managers(stage) == []
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 09:00 London: the digest
    await stage.settle()
    [digest] = managers(stage)
    assert digest.startswith("📋 *Weekly action items* — 1 open, 0 overdue\n\n*Support AI*")
    assert "<@U_BOB>: #1 Add refund eval (due 2026-12-07, incident #1)" in digest

    clock.now = datetime(2026, 12, 5, 13, 59, tzinfo=UTC)
    await stage.settle()
    assert not any("Reminder" in t for t in dms(stage, "U_BOB"))
    clock.now = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    await stage.settle()
    await stage.settle()
    [reminder] = [t for t in dms(stage, "U_BOB") if "Reminder" in t]
    assert "*#1* (Eval case) from incident #1 is due 2026-12-07 (in 2 days)" in reminder
    assert f"<#{channel}>" in reminder

    clock.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    await stage.settle()
    assert "1 open, 0 overdue" in managers(stage)[-1]  # due today is not overdue yet

    clock.now = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    await stage.settle()
    assert len([t for t in dms(stage, "U_BOB") if "Overdue" in t]) == 1
    overdue = [t for t in managers(stage) if "Overdue action item" in t]
    assert overdue == [
        "⚠️ Overdue action item *#1* (Eval case) from incident #1, owner <@U_BOB> (Support AI), "
        "was due 2026-12-07: Add refund eval"
    ]

    clock.now = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    await stage.settle()
    assert "1 open, 1 overdue" in managers(stage)[-1] and "🔴 overdue" in managers(stage)[-1]


async def test_changed_due_date_rearms_and_finished_items_stay_quiet(stage: Stage) -> None:
    clock = start_clock(stage, MONDAY)
    channel = await with_item(stage)
    await stage.command("action due 1 2026-12-21", user="U_BOB", channel=channel)
    await stage.settle()
    clock.now = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)  # past the old reminder and overdue
    await stage.settle()
    assert not any("Add refund eval" in t for t in dms(stage, "U_BOB"))
    clock.now = datetime(2026, 12, 19, 14, 0, tzinfo=UTC)
    await stage.settle()
    assert len([t for t in dms(stage, "U_BOB") if "due 2026-12-21 (in 2 days)" in t]) == 1

    async with session_scope(stage.deps.sessions) as s:
        item = await item_store.record(session=s, item_id=1)
    await stage.click(
        "action_item_done", "1", user="U_BOB", channel=channel, message_ts=item.message_ts
    )
    await stage.settle()
    clock.now = datetime(2026, 12, 23, 14, 0, tzinfo=UTC)
    await stage.settle()
    assert not any("Overdue" in t for t in dms(stage, "U_BOB"))
    assert not any("Overdue" in t for t in managers(stage))


async def test_a_restarted_worker_sends_a_reminder_exactly_once(stage: Stage) -> None:
    clock = start_clock(stage, MONDAY)
    await with_item(stage)
    clock.now = datetime(2026, 12, 5, 13, 59, tzinfo=UTC)
    await stage.settle()  # everything due before the reminder is out of the way
    clock.advance(minutes=1)
    # The first process claims the reminder and dies before sending it.
    async with session_scope(stage.deps.sessions) as s:
        [claimed] = await queue.claim(
            session=s, worker="crashed", now=clock.now, kinds=list(JobKind), limit=1
        )
    assert claimed.kind == JobKind.ITEM_REMIND

    # A new process (new engine, new worker, same database) takes over.
    engine = make_engine(stage.deps.settings.database_url)
    deps = Deps(
        settings=stage.deps.settings,
        config=stage.deps.config,
        engine=engine,
        sessions=make_sessionmaker(engine),
        clock=clock,
    )
    replica = build_worker(
        deps, slack_runtime.build(deps, slack_runtime.gateway(deps, min_post_interval_s=0))
    )
    try:
        clock.advance(seconds=1)
        await replica.run_due()
        assert reminders(stage) == 0  # the dead claim has not expired yet
        clock.now += queue.CLAIM_FOR
        await replica.run_due()
        await replica.run_due()
        await stage.settle()  # the original worker finds nothing left to do
    finally:
        await engine.dispose()
    assert reminders(stage) == 1


def reminders(stage: Stage) -> int:
    return len([t for t in dms(stage, "U_BOB") if "Reminder" in t])


@pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="two replicas need PostgreSQL (FOR UPDATE SKIP LOCKED); run with "
    "TEST_DATABASE=postgresql",
)
async def test_two_server_processes_never_send_a_reminder_twice(
    db_url: str, deps: Deps, fake_slack: FakeSlack
) -> None:
    reminders = 50
    fake_slack.latency_s = 0.002  # slow enough that both replicas are busy at the same time
    now = datetime.now(UTC)
    async with session_scope(deps.sessions) as s:
        incident = await incident_store.create(
            session=s,
            new=incident_store.NewIncident(
                title="Refunds",
                type=IncidentType.HALLUCINATION,
                severity=Severity.P2,
                declared_by="U_ALICE",
                declared_at=now,
            ),
        )
        assert incident is not None
        for n in range(reminders):
            item_id = await item_store.add(
                session=s,
                incident_id=incident.id,
                text=f"item {n}",
                owner_id="U_BOB",
                team=None,
                kind=ActionKind.EVAL_CASE,
                due=date.today() + timedelta(days=2),
                created_by="U_ALICE",
                now=now,
            )
            await queue.schedule(
                session=s,
                kind=JobKind.ITEM_REMIND,
                subject_key=f"{item_id}:x",
                due_at=now - timedelta(minutes=1),
                incident_id=incident.id,
                payload={"item": item_id, "due": (date.today() + timedelta(days=2)).isoformat()},
            )

    spawn = multiprocessing.get_context("spawn")
    go = spawn.Event()
    procs = [
        spawn.Process(
            target=worker_process.run,
            args=(db_url, fake_slack.api_url, fake_slack.token, go, f"replica-{n}", 60.0),
        )
        for n in range(2)
    ]
    for proc in procs:
        proc.start()
    go.set()
    # Join in threads so this event loop keeps serving the fake Slack meanwhile.
    await asyncio.gather(*(asyncio.to_thread(p.join, 90) for p in procs))
    assert [p.exitcode for p in procs] == [0, 0]

    posts = fake_slack.calls("chat.postMessage")
    assert len(posts) == reminders
    assert len({p.args["text"] for p in posts}) == reminders
    async with session_scope(deps.sessions) as s:
        rows = list((await s.scalars(select(DueWork))).all())
    assert all(r.done_at is not None and r.last_error is None for r in rows)
    assert {r.claimed_by for r in rows} <= {"replica-0", "replica-1", None}


async def test_stats_and_metrics_give_durations_by_type_and_severity(stage: Stage) -> None:
    start_clock(stage, MONDAY)
    async with session_scope(stage.deps.sessions) as s:
        for n, contain in enumerate([10, 20, 60]):
            await _incident(
                s,
                MONDAY - (n + 1) * timedelta(days=1),
                contain,
                IncidentType.HALLUCINATION,
                Severity.P2,
            )
        await _incident(
            s, MONDAY - timedelta(days=2), 30, IncidentType.SAFETY_VIOLATION, Severity.P1
        )
        await _incident(
            s, MONDAY - timedelta(days=40), 999, IncidentType.HALLUCINATION, Severity.P2
        )

    await stage.command("stats 30", channel="C_GENERAL")
    await stage.settle()
    reply = replies(stage)[-1]
    assert "*Response times, incidents declared in the last 30 days* (median / p90)" in reply
    assert "Hallucination · P2 (3) | 5 min / 5 min | 1 min / 1 min | 20 min / 52 min | " in reply
    assert "Safety violation · P1 (1) | 5 min / 5 min | 1 min / 1 min | 30 min / 30 min | " in reply

    metrics = (await stage.http.get("/metrics")).text
    label = 'measure="contain",quantile="0.5",severity="P2",type="hallucination"'
    assert f"incidentbot_incident_time_to_seconds{{{label}}} 1200.0" in metrics
    label = 'measure="contain",quantile="0.9",severity="P2",type="hallucination"'
    assert f"incidentbot_incident_time_to_seconds{{{label}}} 3120.0" in metrics
    label = 'measure="resolve",severity="P1",type="safety_violation"'
    assert f"incidentbot_incident_time_to_count{{{label}}} 1.0" in metrics
    r = await stage.http.get("/api/action-items", headers=api_headers(stage))
    assert r.status_code == 200


async def _incident(
    s: AsyncSession, declared: datetime, contain_min: int, kind: IncidentType, severity: Severity
) -> None:
    row = await incident_store.create(
        session=s,
        new=incident_store.NewIncident(
            title="x",
            type=kind,
            severity=severity,
            declared_by="alert",
            declared_at=declared,
            first_alert_at=declared - timedelta(minutes=5),
        ),
    )
    assert isinstance(row, Incident)
    row.acknowledged_at = declared + timedelta(minutes=1)
    row.contained_at = declared + timedelta(minutes=contain_min)
    row.resolved_at = declared + timedelta(minutes=contain_min + 30)
