"""PagerDuty V3 webhooks (webhook subscriptions) for incident events."""

from __future__ import annotations

from typing import Any

from bot.alerts.schemas import NormalizedAlert
from bot.alerts.sources import common as c
from bot.errors import BadInput
from bot.vocabulary import AlertStatus, Source

RESOLVED_EVENT = "incident.resolved"


def is_ping(body: Any) -> bool:
    """Whether this is the test event PagerDuty sends when a subscription is created."""
    event = body.get("event") if isinstance(body, dict) else None
    return isinstance(event, dict) and event.get("event_type") == "pagerduty.ping"


def parse(body: Any) -> list[NormalizedAlert]:
    """Return the one incident event a V3 webhook delivery carries."""
    event = c.req_object(c.as_object(body, ""), "event")
    event_type = c.req_str(event, "event_type", "event")
    _require_incident(event)
    data = c.req_object(event, "data", "event")
    status = _status(event_type, data)
    occurred_at = c.timestamp(event, "occurred_at", "event")
    return [
        NormalizedAlert(
            source=Source.PAGERDUTY,
            external_id=c.req_str(event, "id", "event"),
            dedupe_key=c.opt_str(data, "incident_key", "event.data")
            or c.req_str(data, "id", "event.data"),
            status=status,
            severity=_severity(data),
            title=c.title_text(_title(data)),
            description=c.description_text(c.opt_str(data, "description", "event.data")),
            labels=_labels(event_type, data),
            links=tuple(c.link("PagerDuty incident", c.opt_str(data, "html_url", "event.data"))),
            starts_at=c.timestamp(data, "created_at", "event.data") or occurred_at,
            ends_at=occurred_at if status is AlertStatus.RESOLVED else None,
            raw=event,
        )
    ]


def _require_incident(event: dict[str, Any]) -> None:
    resource = c.opt_str(event, "resource_type", "event") or "incident"
    if resource != "incident":
        message = f"only incident events are accepted, got {resource[:40]!r}"
        raise BadInput(message, field="event.resource_type")


def _status(event_type: str, data: dict[str, Any]) -> AlertStatus:
    resolved = event_type == RESOLVED_EVENT or data.get("status") == "resolved"
    return AlertStatus.RESOLVED if resolved else AlertStatus.FIRING


def _title(data: dict[str, Any]) -> str:
    title = c.opt_str(data, "title", "event.data") or c.opt_str(data, "summary", "event.data")
    if title is None:
        raise BadInput("is required", field="event.data.title")
    return title


def _severity(data: dict[str, Any]) -> str | None:
    priority = c.opt_object(data, "priority", "event.data")
    return c.opt_str(priority, "summary", "event.data.priority") or _urgency(data)


def _urgency(data: dict[str, Any]) -> str | None:
    return c.opt_str(data, "urgency", "event.data")


def _labels(event_type: str, data: dict[str, Any]) -> dict[str, str]:
    service = c.opt_object(data, "service", "event.data")
    found = {
        "event_type": event_type,
        "service": c.opt_str(service, "summary", "event.data.service"),
        "urgency": _urgency(data),
        "pagerduty_status": c.opt_str(data, "status", "event.data"),
        "incident_number": c.opt_id(data, "number", "event.data"),
    }
    return {key: value for key, value in found.items() if value is not None}
