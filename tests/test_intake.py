"""Alert intake over real HTTP: storage, grouping, dedupe, bad input, auth."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import func, select

from bot.alerts.schemas import Routing, RoutingRule
from bot.config import Config
from bot.db import session_scope
from bot.deps import Deps
from bot.models import Alert, AlertDelivery, Incident, TimelineEvent
from bot.vocabulary import IncidentType, Severity, Status
from tests.support.server import RunningServer


def generic(title: str = "Refund answers wrong", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "dedupe_key": "refunds-wrong",
        "labels": {
            "ai_incident_type": "hallucination",
            "severity": "critical",
            "feature": "support-assistant",
        },
    }
    body.update(extra)
    return body


async def count(deps: Deps, model: type[Any]) -> int:
    async with session_scope(deps.sessions) as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def incidents(deps: Deps) -> list[Incident]:
    async with session_scope(deps.sessions) as s:
        return list((await s.scalars(select(Incident).order_by(Incident.number))).all())


async def test_generic_alert_opens_routed_incident(
    server: RunningServer, deps: Deps, auth_headers: dict[str, str]
) -> None:
    r = await server.client.post("/alerts/generic", json=generic(), headers=auth_headers)
    assert r.status_code == 202, r.text
    assert r.json()["stored"] == 1 and r.json()["opened"] == [1]
    [incident] = await incidents(deps)
    assert (incident.type, incident.severity, incident.status) == (
        IncidentType.HALLUCINATION,
        Severity.P1,
        Status.TRIAGE,
    )
    assert incident.feature == "support-assistant"
    assert incident.declared_at.tzinfo is not None
    async with session_scope(deps.sessions) as s:
        delivery = await s.scalar(select(AlertDelivery))
        assert delivery is not None and json.loads(delivery.body)["title"] == "Refund answers wrong"


async def test_same_key_attaches_and_redelivery_is_stored_once(
    server: RunningServer, deps: Deps, auth_headers: dict[str, str]
) -> None:
    first = generic(id="a1")
    await server.client.post("/alerts/generic", json=first, headers=auth_headers)
    again = await server.client.post("/alerts/generic", json=first, headers=auth_headers)
    assert again.json()["duplicates"] == 1 and again.json()["stored"] == 0
    second = await server.client.post(
        "/alerts/generic", json=generic(id="a2"), headers=auth_headers
    )
    assert second.json()["attached"] == [1]
    assert len(await incidents(deps)) == 1
    assert await count(deps, Alert) == 2
    r = await server.client.get("/api/incidents/1", headers=auth_headers)
    assert r.json()["alert_count"] == 2


async def test_resolved_notification_is_recorded_on_the_incident(
    server: RunningServer, deps: Deps, auth_headers: dict[str, str]
) -> None:
    await server.client.post("/alerts/generic", json=generic(), headers=auth_headers)
    r = await server.client.post(
        "/alerts/generic", json=generic(status="resolved"), headers=auth_headers
    )
    assert r.json()["attached"] == [1]
    async with session_scope(deps.sessions) as s:
        kinds = list(await s.scalars(select(TimelineEvent.kind)))
    assert "alert_resolved" in kinds


async def test_concurrent_deliveries_open_one_incident(
    server: RunningServer, deps: Deps, auth_headers: dict[str, str]
) -> None:
    bodies = [generic(id=f"storm-{i}") for i in range(40)]
    results = await asyncio.gather(
        *(server.client.post("/alerts/generic", json=b, headers=auth_headers) for b in bodies)
    )
    assert {r.status_code for r in results} == {202}
    assert len(await incidents(deps)) == 1
    assert await count(deps, Alert) == 40


async def test_alertmanager_group_is_one_incident_keeping_each_alert(
    server: RunningServer, deps: Deps, auth_headers: dict[str, str]
) -> None:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "GroundednessLow", "feature": f"f{i}", "severity": "warning"},
            "annotations": {"summary": f"Groundedness below 0.8 on f{i}"},
            "startsAt": "2026-11-23T02:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prom/graph",
            "fingerprint": f"fp{i}",
        }
        for i in range(3)
    ]
    payload = {
        "version": "4",
        "groupKey": '{}:{alertname="GroundednessLow"}',
        "status": "firing",
        "receiver": "incidentbot",
        "groupLabels": {"alertname": "GroundednessLow"},
        "commonLabels": {"alertname": "GroundednessLow"},
        "commonAnnotations": {},
        "externalURL": "http://am",
        "truncatedAlerts": 0,
        "alerts": alerts,
    }
    r = await server.client.post("/alerts/alertmanager", json=payload, headers=auth_headers)
    assert r.status_code == 202, r.text
    assert r.json()["stored"] == 3 and r.json()["opened"] == [1]
    assert await count(deps, Alert) == 3
    # A `group_by` rule splits the same group by feature instead.
    deps.config = Config(routing=Routing(rules=[RoutingRule(match={}, group_by=["feature"])]))
    for item in alerts:
        item["startsAt"] = "2026-11-23T03:00:00Z"  # a new occurrence, so not a redelivery
    r = await server.client.post("/alerts/alertmanager", json=payload, headers=auth_headers)
    assert r.json()["opened"] == [2, 3, 4]
    assert [i.feature for i in await incidents(deps)][1:] == ["f0", "f1", "f2"]


async def test_bad_input_is_refused_and_nothing_stored(
    server: RunningServer, deps: Deps, auth_headers: dict[str, str]
) -> None:
    post = server.client.post
    cases = [
        (await post("/alerts/generic", content=b"{not json", headers=auth_headers), 400, None),
        (await post("/alerts/generic", json={"labels": {}}, headers=auth_headers), 422, "title"),
        (
            await post(
                "/alerts/generic",
                json=generic(),
                headers={**auth_headers, "Content-Type": "text/plain"},
            ),
            415,
            None,
        ),
        (await post("/alerts/nagios", json=generic(), headers=auth_headers), 404, None),
        (
            await post("/alerts/generic", json=generic(), headers={"Authorization": "Bearer nope"}),
            401,
            None,
        ),
        (await post("/alerts/generic", json=generic()), 401, None),
        (
            await post(
                "/alerts/generic", content=b"[" + b"1," * 600_000 + b"1]", headers=auth_headers
            ),
            413,
            None,
        ),
    ]
    for response, status, field in cases:
        assert response.status_code == status, response.text
        assert response.json()["error"]
        if field:
            assert response.json()["field"] == field
    assert await count(deps, AlertDelivery) == 0
    assert await count(deps, Alert) == 0


async def test_changes_and_evals(
    server: RunningServer, deps: Deps, auth_headers: dict[str, str]
) -> None:
    change = {
        "kind": "prompt",
        "feature": "support-assistant",
        "from": "v11",
        "to": "v12",
        "at": "2026-11-22T10:00:00+01:00",
        "author": "dana",
        "link": "https://git/pr/1",
    }
    r = await server.client.post("/changes", json=change, headers=auth_headers)
    assert r.status_code == 201, r.text
    assert r.json()["at"].startswith("2026-11-22T09:00:00")
    bad = await server.client.post(
        "/changes", json={**change, "kind": "vibes"}, headers=auth_headers
    )
    assert bad.status_code == 422 and bad.json()["field"] == "kind"
    run = {
        "suite": "refunds-golden",
        "feature": "support-assistant",
        "passed": 92,
        "total": 100,
        "versions": {"prompt": "v11"},
    }
    assert (await server.client.post("/evals", json=run, headers=auth_headers)).status_code == 201
    too_many = await server.client.post("/evals", json={**run, "passed": 101}, headers=auth_headers)
    assert too_many.status_code == 422
    unknown = await server.client.post("/evals", json={**run, "incident": 99}, headers=auth_headers)
    assert unknown.status_code == 422 and unknown.json()["field"] == "incident"


async def test_health_ready_metrics(server: RunningServer, auth_headers: dict[str, str]) -> None:
    assert (await server.client.get("/healthz")).json() == {"status": "ok"}
    assert (await server.client.get("/readyz")).json() == {"status": "ok"}
    sent = await server.client.post("/alerts/generic", json=generic(), headers=auth_headers)
    assert sent.status_code == 202
    text = (await server.client.get("/metrics")).text
    assert 'incidentbot_alerts_total{outcome="stored",source="generic"} 1.0' in text
    assert (
        'incidentbot_http_requests_total{method="POST",route="/alerts/{source}",status="202"}'
        in text
    )
    assert (await server.client.get("/openapi.json")).json()["paths"]["/api/incidents"]


async def test_pagerduty_subscription_ping_is_answered_and_not_stored(
    server: RunningServer, deps: Deps, auth_headers: dict[str, str]
) -> None:
    ping = {
        "event": {
            "id": "01PING",
            "event_type": "pagerduty.ping",
            "resource_type": "pagey",
            "occurred_at": "2026-11-23T03:00:00Z",
            "data": {"message": "Hello!"},
        }
    }
    r = await server.client.post("/alerts/pagerduty", json=ping, headers=auth_headers)
    assert r.status_code == 200 and r.json() == {"pong": True}
    assert await count(deps, AlertDelivery) == 0
