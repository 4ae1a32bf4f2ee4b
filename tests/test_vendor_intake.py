"""Each vendor's documented example payload, posted verbatim over HTTP (payloads/SOURCES.md).

What is checked is what a responder sees: which incidents open, how alerts group, and when the
monitors report everything resolved.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from typing import Any

from sqlalchemy import select

from bot.alerts.schemas import Routing, RoutingRule
from bot.config import Config
from bot.db import session_scope
from bot.deps import Deps, WebhookSecrets
from bot.models import Alert, Incident, TimelineEvent
from bot.vocabulary import EventKind, IncidentType, Severity
from tests.support.server import RunningServer
from tests.support.vendor_payloads import datadog, load

Headers = dict[str, str]


async def post(
    server: RunningServer, source: str, body: Any, headers: Headers, **extra: str
) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    r = await server.client.post(f"/alerts/{source}", content=raw, headers=headers | extra)
    assert r.status_code == 202, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def incidents(deps: Deps) -> list[Incident]:
    async with session_scope(deps.sessions) as s:
        return list((await s.scalars(select(Incident).order_by(Incident.number))).all())


async def event_kinds(deps: Deps) -> list[str]:
    async with session_scope(deps.sessions) as s:
        return list(await s.scalars(select(TimelineEvent.kind).order_by(TimelineEvent.id)))


async def alert_count(deps: Deps) -> int:
    async with session_scope(deps.sessions) as s:
        return len(list(await s.scalars(select(Alert.id))))


def resolved(payload: dict[str, Any], *indexes: int) -> dict[str, Any]:
    """The next notification of the same group, with the given alerts resolved."""
    body = copy.deepcopy(payload)
    for index in indexes:
        body["alerts"][index] |= {"status": "resolved", "endsAt": "2026-11-23T03:00:00Z"}
    body["status"] = (
        "resolved" if all(a["status"] == "resolved" for a in body["alerts"]) else "firing"
    )
    return body


async def test_alertmanager_group_in_two_regions_is_one_incident_until_all_resolve(
    server: RunningServer, deps: Deps, auth_headers: Headers
) -> None:
    payload = load("alertmanager_two_regions.json")

    first = await post(server, "alertmanager", payload, auth_headers)
    assert (first["stored"], first["opened"]) == (2, [1])
    [incident] = await incidents(deps)
    assert (incident.type, incident.severity) == (IncidentType.QUALITY_REGRESSION, Severity.P2)

    one = await post(server, "alertmanager", resolved(payload, 0), auth_headers)
    assert one["attached"] == [1]
    assert EventKind.MONITORS_RESOLVED not in await event_kinds(deps)

    both = await post(server, "alertmanager", resolved(payload, 0, 1), auth_headers)
    assert both["attached"] == [1]
    kinds = await event_kinds(deps)
    assert (
        kinds.count(EventKind.MONITORS_RESOLVED) == 1 and kinds[-1] == EventKind.MONITORS_RESOLVED
    )
    assert len(await incidents(deps)) == 1


async def test_alertmanager_group_by_rule_splits_the_regions(
    server: RunningServer, deps: Deps, auth_headers: Headers
) -> None:
    deps.config = Config(routing=Routing(rules=[RoutingRule(match={}, group_by=["region"])]))
    answer = await post(server, "alertmanager", load("alertmanager_two_regions.json"), auth_headers)
    assert answer["opened"] == [1, 2]


async def test_grafana_documented_notification_is_one_incident(
    server: RunningServer, deps: Deps, auth_headers: Headers
) -> None:
    answer = await post(server, "grafana", load("grafana_docs.json"), auth_headers)
    assert (answer["stored"], answer["opened"]) == (2, [1])
    [incident] = await incidents(deps)
    assert incident.title == "This alert was triggered for zone us-1"


async def test_pagerduty_documented_event_opens_at_its_priority(
    server: RunningServer, deps: Deps, auth_headers: Headers
) -> None:
    answer = await post(server, "pagerduty", load("pagerduty_priority_updated.json"), auth_headers)
    assert answer["opened"] == [1]
    [incident] = await incidents(deps)
    assert (incident.title, incident.severity) == ("A little bump in the road", Severity.P1)
    assert incident.service == "API Service"

    raw = json.dumps(load("pagerduty_service_updated.json"))
    r = await server.client.post("/alerts/pagerduty", content=raw, headers=auth_headers)
    assert r.status_code == 422 and r.json()["field"] == "event.resource_type"


async def test_datadog_default_payload_opens_and_recovers(
    server: RunningServer, deps: Deps, auth_headers: Headers
) -> None:
    fired = await post(server, "datadog", datadog("datadog_default_template.json"), auth_headers)
    assert fired["opened"] == [1]
    recovery = datadog(
        "datadog_default_template.json", EVENT_TITLE="[Recovered] [Memory Alert]", ID="1234568"
    )
    recovered = await post(server, "datadog", recovery, auth_headers)
    assert recovered["attached"] == [1]
    assert EventKind.MONITORS_RESOLVED in await event_kinds(deps)


async def test_datadog_variable_named_payload_opens_and_recovers(
    server: RunningServer, deps: Deps, auth_headers: Headers
) -> None:
    fired = await post(server, "datadog", datadog("datadog_variables_template.json"), auth_headers)
    assert fired["opened"] == [1]
    [incident] = await incidents(deps)
    assert incident.severity == Severity.P1  # $ALERT_PRIORITY
    recovery = datadog(
        "datadog_variables_template.json", ALERT_TRANSITION="Recovered", ID="1234568"
    )
    assert (await post(server, "datadog", recovery, auth_headers))["attached"] == [1]
    assert EventKind.MONITORS_RESOLVED in await event_kinds(deps)


async def test_langfuse_prompt_version_is_stored_as_a_prompt_change(
    server: RunningServer, deps: Deps, auth_headers: Headers
) -> None:
    answer = await post(server, "langfuse", load("langfuse_prompt.json"), auth_headers)
    assert answer["stored"] == 1
    [incident] = await incidents(deps)
    assert incident.labels["langfuse_event"] == "prompt"


async def test_langfuse_alert_opens_and_recovers_on_ok(
    server: RunningServer, deps: Deps, auth_headers: Headers
) -> None:
    alert = load("langfuse_alert.json")
    assert (await post(server, "langfuse", alert, auth_headers))["opened"] == [1]
    [incident] = await incidents(deps)
    assert incident.severity == Severity.P2
    assert incident.first_alert_at is not None and incident.first_alert_at.hour == 9  # window

    warning = copy.deepcopy(alert) | {"id": "evt-warning"}
    warning["payload"]["severity"] = "WARNING"
    assert (await post(server, "langfuse", warning, auth_headers))["attached"] == [1]

    ok = copy.deepcopy(alert) | {"id": "evt-ok"}
    ok["payload"] |= {"severity": "OK", "message": {"title": "[OK] avg latency", "body": "ok"}}
    assert (await post(server, "langfuse", ok, auth_headers))["attached"] == [1]
    assert EventKind.MONITORS_RESOLVED in await event_kinds(deps)


def langfuse_signature(secret: str, body: bytes) -> str:
    """Sign as Langfuse does: hex HMAC-SHA256 of `<unix seconds>.<body>`, as `t=…,v1=…`."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


async def test_langfuse_signature_is_checked_when_a_secret_is_set(
    server: RunningServer, deps: Deps, auth_headers: Headers
) -> None:
    secret = "lf-whsec_" + "ab" * 32
    deps.webhook_secrets = WebhookSecrets(langfuse=secret)
    raw = json.dumps(load("langfuse_alert.json")).encode()

    for signature in ("", langfuse_signature("lf-whsec_other", raw)):
        headers = auth_headers | {"x-langfuse-signature": signature}
        r = await server.client.post("/alerts/langfuse", content=raw, headers=headers)
        assert r.status_code == 401, r.text
    assert await alert_count(deps) == 0

    headers = auth_headers | {"x-langfuse-signature": langfuse_signature(secret, raw)}
    r = await server.client.post("/alerts/langfuse", content=raw, headers=headers)
    assert r.status_code == 202 and r.json()["opened"] == [1]
