"""Pure paging rules: who is paged automatically, which events bring a page up to date."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.paging.schemas import ORDER, PagerDutyTarget, Paging
from bot.vocabulary import IncidentType, PageState, Severity

ORDER_INDEX = {state: n for n, state in enumerate(ORDER)}
PD_SEVERITY = {Severity.P1: "critical", Severity.P2: "error", Severity.P3: "warning"}
SUMMARY_MAX = 1024


def dedup_key(number: int, target: str) -> str:
    """One page per incident and target: PagerDuty folds every event with this key into it."""
    return f"incidentbot/incident-{number}/{target}"


def automatic(paging: Paging, severity: Severity) -> list[str]:
    """The targets paged automatically at this severity."""
    return [name for name, t in paging.targets.items() if severity in t.severities]


def events(wanted: PageState, sent: PageState | None) -> list[PageState]:
    """The events still to send, in order (a page never triggered is not sent to resolve)."""
    if sent is None and wanted is PageState.RESOLVED:
        return []
    start = ORDER.index(sent) + 1 if sent is not None else 0
    return list(ORDER[start : ORDER.index(wanted) + 1])


def event_body(
    target: PagerDutyTarget,
    routing_key: str,
    state: PageState,
    key: str,
    incident: Mapping[str, Any],
) -> dict[str, Any]:
    """The Events API v2 body: a trigger carries the incident, acknowledge and resolve the key."""
    body: dict[str, Any] = {"routing_key": routing_key, "event_action": state.action}
    body["dedup_key"] = key
    if state is not PageState.TRIGGERED:
        return body
    severity = Severity(incident["severity"])
    body["payload"] = {
        "summary": summary(incident),
        "source": incident.get("feature") or "incidentbot",
        "severity": PD_SEVERITY[severity],
        "class": incident["type"],
        "custom_details": {k: v for k, v in incident.items() if v is not None},
    }
    if incident.get("feature"):
        body["payload"]["component"] = incident["feature"]
    body["client"] = "incidentbot"
    if incident.get("link"):
        body["client_url"] = incident["link"]
        body["links"] = [{"href": incident["link"], "text": f"Incident #{incident['number']}"}]
    return body


def problems(paging: Paging, env: Mapping[str, str]) -> list[str]:
    """Missing credentials, named by variable (and the REST user escalation policies need)."""
    names = [(n, t.routing_key_env) for n, t in paging.targets.items() if t.routing_key_env]
    policies = [n for n, t in paging.targets.items() if t.escalation_policy]
    rest = (["oncall"] if paging.oncall is not None else []) + policies
    names += [(who, paging.api.token_env) for who in rest]
    found = [
        f"{who}: the environment variable {v} is not set" for who, v in names if not env.get(v)
    ]
    if policies and not paging.api.from_email:
        found.append(f"{policies[0]}: paging an escalation policy needs paging.api.from_email")
    return found


def summary(incident: Mapping[str, Any]) -> str:
    """One line naming the incident, for PagerDuty's title."""
    severity = Severity(incident["severity"])
    text = (
        f"#{incident['number']} {incident['title']} "
        f"({severity.value}, {IncidentType(incident['type']).label})"
    )
    return text[:SUMMARY_MAX]


def rest_incident(target: PagerDutyTarget, key: str, incident: Mapping[str, Any]) -> dict[str, Any]:
    """The REST API's new incident: on the target's service, assigned to its escalation policy."""
    details = [f"{k}: {v}" for k, v in incident.items() if v is not None]
    high = Severity(incident["severity"]) in (Severity.P1, Severity.P2)
    return {
        "incident": {
            "type": "incident",
            "title": summary(incident),
            "service": {"id": target.service, "type": "service_reference"},
            "escalation_policy": {
                "id": target.escalation_policy,
                "type": "escalation_policy_reference",
            },
            "incident_key": key,
            "urgency": "high" if high else "low",
            "body": {"type": "incident_body", "details": "\n".join(details)},
        }
    }
