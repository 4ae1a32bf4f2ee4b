"""POST /signals, eval runs as points, and the detector in the worker: one incident across
replicas, the alert resolved when the signal recovers, restart-safe, no point seen twice."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.config import Config
from bot.db import session_scope
from bot.deps import Deps
from bot.flows import signals as signal_flows
from bot.jobs.handlers import JobEnv, handlers
from bot.jobs.kinds import JobKind
from bot.jobs.worker import Worker
from bot.models import (
    Alert,
    DueWork,
    Incident,
    Signal,
    SignalInbox,
    SignalPoint,
    TimelineEvent,
)
from bot.signals import rules
from tests.support.server import RunningServer

FEATURE = "support-assistant"
T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture
def config() -> Config:
    return Config.model_validate(
        {
            "signals": {
                "watch": [
                    {
                        "name": "groundedness",
                        "title": "Groundedness",
                        "direction": "lower_is_bad",
                        "baseline": {"points": 60, "min_points": 30},
                        "severity": "P2",
                    }
                ]
            }
        }
    )


def points(values: list[float], start: int = 0) -> list[dict[str, Any]]:
    return [
        {"at": (T0 + timedelta(minutes=start + i)).isoformat(), "value": round(v, 4)}
        for i, v in enumerate(values)
    ]


def steady(count: int, mean: float = 0.83, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean, 0.02) for _ in range(count)]


async def post(
    server: RunningServer, headers: dict[str, str], body: Any, **kw: Any
) -> httpx.Response:
    return await server.client.post("/signals", content=json.dumps(body), headers=headers, **kw)


async def count(deps: Deps, stmt: Any) -> int:
    async with session_scope(deps.sessions) as s:
        return int(await s.scalar(stmt) or 0)


async def test_points_are_stored_before_202(
    deps: Deps, server: RunningServer, auth_headers: dict[str, str]
) -> None:
    body = {"signal": "groundedness", "feature": FEATURE, "points": points([0.8, 0.81])}
    answer = await post(server, auth_headers, body)
    assert answer.status_code == 202 and answer.json() == {"accepted": 2, "signals": 1}
    rates = {
        "batches": [
            {
                "signal": "refusals_high_risk",
                "feature": FEATURE,
                "points": [{"passed": 45, "total": 50}],
            },
            {"signal": "p95_latency_s", "feature": FEATURE, "points": [{"value": 4.1}]},
        ]
    }
    assert (await post(server, auth_headers, rates)).json() == {"accepted": 2, "signals": 2}
    async with session_scope(deps.sessions) as s:
        stored = (await s.scalars(select(SignalPoint).order_by(SignalPoint.id))).all()
        kinds = {x.name: x.rate for x in (await s.scalars(select(Signal))).all()}
    assert [(p.value, p.passed, p.total) for p in stored] == [
        (0.8, None, None),
        (0.81, None, None),
        (0.9, 45, 50),
        (4.1, None, None),
    ]
    assert kinds == {"groundedness": False, "refusals_high_risk": True, "p95_latency_s": False}
    assert (
        await count(deps, select(func.count()).where(DueWork.kind == JobKind.SIGNALS_DETECT)) == 1
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"signal": "g", "feature": FEATURE, "points": []}, "batches.0.points"),
        (
            {"signal": "g", "feature": FEATURE, "points": [{"value": 1, "total": 3}]},
            "batches.0.points.0",
        ),
        (
            {"signal": "g", "feature": FEATURE, "points": [{"passed": 4, "total": 3}]},
            "batches.0.points.0",
        ),
        (
            {"signal": "g", "feature": FEATURE, "points": [{"at": "yesterday", "value": 1}]},
            "batches.0.points.0.at",
        ),
        ({"signal": "bad name!", "feature": FEATURE, "points": [{"value": 1}]}, "batches.0.signal"),
        ({"feature": FEATURE, "points": [{"value": 1}]}, "batches.0.signal"),
        (
            {
                "signal": "g",
                "feature": FEATURE,
                "points": [{"value": 1}, {"passed": 1, "total": 2}],
            },
            "batches.0",
        ),
    ],
)
async def test_bad_points_are_refused_and_nothing_is_stored(
    deps: Deps, server: RunningServer, auth_headers: dict[str, str], body: Any, field: str
) -> None:
    answer = await post(server, auth_headers, body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field and answer.json()["error"]
    assert await count(deps, select(func.count()).select_from(SignalPoint)) == 0


async def test_auth_and_a_signal_that_changes_kind(
    deps: Deps, server: RunningServer, auth_headers: dict[str, str]
) -> None:
    body = {"signal": "g", "feature": FEATURE, "points": [{"value": 0.5}]}
    no_auth = await server.client.post("/signals", json=body)
    assert no_auth.status_code == 401 and "bearer" in no_auth.json()["error"]
    assert (await post(server, auth_headers, body)).status_code == 202
    rate = {"signal": "g", "feature": FEATURE, "points": [{"passed": 1, "total": 2}]}
    refused = await post(server, auth_headers, rate)
    assert refused.status_code == 422 and refused.json()["field"] == "batches.0.signal"
    assert "takes values" in refused.json()["error"]
    assert await count(deps, select(func.count()).select_from(SignalPoint)) == 1


async def test_every_eval_run_is_a_point_of_its_suites_pass_rate(
    deps: Deps, server: RunningServer, auth_headers: dict[str, str]
) -> None:
    run = {"suite": "refunds", "feature": FEATURE, "passed": 45, "total": 50}
    assert (await server.client.post("/evals", json=run, headers=auth_headers)).status_code == 201
    async with session_scope(deps.sessions) as s:
        signal = await s.scalar(select(Signal))
        point = await s.scalar(select(SignalPoint))
    assert signal is not None and point is not None
    assert (signal.name, signal.feature, signal.rate) == ("eval.refunds.pass_rate", FEATURE, True)
    assert (point.value, point.passed, point.total, point.eval_run_id) == (0.9, 45, 50, 1)


def _workers(deps: Deps) -> list[Worker]:
    found = handlers(JobEnv(deps, None))  # no Slack: the detector alone
    return [Worker(deps.sessions, deps.clock, found, worker_id=n) for n in ("a", "b")]


async def _detect_everywhere(deps: Deps, workers: list[Worker]) -> None:
    async def direct() -> None:
        async with session_scope(deps.sessions) as s:
            await signal_flows.detect(session=s, config=deps.config, now=deps.clock())

    await asyncio.gather(*(w.run_due() for w in workers), direct(), direct())


async def test_a_shift_opens_one_incident_across_two_replicas_and_recovery_resolves_it(
    deps: Deps, server: RunningServer, auth_headers: dict[str, str]
) -> None:
    workers = _workers(deps)
    batches = [steady(60), steady(25, mean=0.78, seed=2)]
    start = 0
    for values in batches:
        for chunk in range(0, len(values), 5):  # small batches, detection racing in between
            part = values[chunk : chunk + 5]
            body = {"signal": "groundedness", "feature": FEATURE, "points": points(part, start)}
            assert (await post(server, auth_headers, body)).status_code == 202
            start += len(part)
            await _detect_everywhere(deps, workers)
    async with session_scope(deps.sessions) as s:
        incidents = (await s.scalars(select(Incident))).all()
        alerts = (await s.scalars(select(Alert).where(Alert.source == "spc"))).all()
    assert len(incidents) == 1 and len(alerts) == 1
    [incident], [alert] = incidents, alerts
    assert incident.feature == FEATURE and incident.type == "quality_regression"
    assert incident.title == f"Groundedness of {FEATURE} is lower than its baseline"
    assert alert.status == "firing" and alert.incident_id == incident.id
    raw = alert.raw
    assert abs(raw["baseline_mean"] - 0.83) < 0.01 and 0.01 < raw["sigma"] < 0.03
    assert raw["statistic"] < -raw["limit"] and raw["crossings"]
    assert all(c["value"] < 0.83 for c in raw["crossings"])
    assert {"baseline_mean", "sigma", "statistic", "limit"} <= alert.values.keys()
    assert await count(deps, select(func.count()).select_from(SignalInbox)) == 0

    body = {
        "signal": "groundedness",
        "feature": FEATURE,
        "points": points([0.83 + (-1) ** i * 0.005 for i in range(30)], start),
    }
    assert (await post(server, auth_headers, body)).status_code == 202
    await _detect_everywhere(deps, workers)
    async with session_scope(deps.sessions) as s:
        statuses = (await s.scalars(select(Alert.status).where(Alert.source == "spc"))).all()
        kinds = (await s.scalars(select(TimelineEvent.kind))).all()
        signal = await s.scalar(select(Signal))
    assert sorted(statuses) == ["firing", "resolved"]
    assert "alert_resolved" in kinds and "monitors_resolved" in kinds
    assert signal is not None and not signal.alarmed and signal.points == 115


async def test_a_detection_interrupted_midway_sees_every_point_once(
    deps: Deps, server: RunningServer, auth_headers: dict[str, str]
) -> None:
    body = {"signal": "groundedness", "feature": FEATURE, "points": points(steady(40))}
    assert (await post(server, auth_headers, body)).status_code == 202
    with pytest.raises(RuntimeError):
        async with session_scope(deps.sessions) as s:
            await signal_flows.detect(session=s, config=deps.config, now=deps.clock())
            raise RuntimeError("the process died before committing")
    async with session_scope(deps.sessions) as s:
        done = await signal_flows.detect(session=s, config=deps.config, now=deps.clock(), limit=25)
        assert done.points == 25 and done.more
    async with session_scope(deps.sessions) as s:
        rest = await signal_flows.detect(session=s, config=deps.config, now=deps.clock(), limit=25)
        assert rest.points == 15 and not rest.more
        signal = await s.scalar(select(Signal))
    assert signal is not None and signal.points == 40
    state = rules.State.from_json(signal.state)
    assert len(state.baseline) + len(state.guard) == 40
