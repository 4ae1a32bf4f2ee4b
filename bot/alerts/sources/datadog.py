"""Datadog webhooks integration, with the custom payload documented in README.md.

Expected keys (each filled by a Datadog template variable):
`id` ($ID), `alert_id` ($ALERT_ID), `alert_cycle_key` ($ALERT_CYCLE_KEY),
`transition` ($ALERT_TRANSITION), `title` ($ALERT_TITLE), `message` ($EVENT_MSG),
`priority` ($ALERT_PRIORITY), `metric` ($ALERT_METRIC), `alert_status` ($ALERT_STATUS),
`tags` ($TAGS, comma-separated `key:value`), `link` ($LINK), `date` ($DATE, epoch ms),
`hostname` ($HOSTNAME), `org_id` ($ORG_ID). `title` and `transition` are required, and one of
`alert_cycle_key` / `alert_id`.
"""

from __future__ import annotations

from typing import Any

from bot.alerts.schemas import AlertStatus, NormalizedAlert, Source
from bot.alerts.sources import common as c
from bot.errors import BadInput


def parse(body: Any) -> list[NormalizedAlert]:
    """Return the one alert a Datadog webhook carries."""
    event = c.as_object(body, "")
    transition = c.req_str(event, "transition")
    status = AlertStatus.RESOLVED if "recovered" in transition.lower() else AlertStatus.FIRING
    dedupe_key = _dedupe_key(event)
    when = c.epoch_ms(event.get("date"), "date")
    return [
        NormalizedAlert(
            source=Source.DATADOG,
            external_id=c.opt_id(event, "id")
            or c.occurrence_id(f"{dedupe_key}:{transition}", when),
            dedupe_key=dedupe_key,
            status=status,
            severity=c.opt_str(event, "priority"),
            title=c.title_text(c.req_str(event, "title")),
            description=c.description_text(c.opt_str(event, "message")),
            labels=_labels(event),
            links=tuple(c.link("Datadog", c.opt_str(event, "link"))),
            starts_at=when if status is AlertStatus.FIRING else None,
            ends_at=when if status is AlertStatus.RESOLVED else None,
            raw=event,
        )
    ]


def _dedupe_key(event: dict[str, Any]) -> str:
    key = c.opt_id(event, "alert_cycle_key") or c.opt_id(event, "alert_id")
    if key is None:
        raise BadInput("is required (or alert_id)", field="alert_cycle_key")
    return key


def _labels(event: dict[str, Any]) -> dict[str, str]:
    labels = parse_tags(event.get("tags"), "tags")
    for key, label in (("hostname", "host"), ("metric", "metric")):
        value = c.opt_str(event, key)
        if value is not None:
            labels.setdefault(label, value)
    return labels


def parse_tags(tags: Any, path: str) -> dict[str, str]:
    """Turn Datadog tags (`"k:v,k2:v2"` or a list of them) into labels; repeats are joined."""
    if tags is None:
        return {}
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise BadInput("expected comma-separated key:value tags", field=path)
    labels: dict[str, str] = {}
    for tag in (t.strip() for t in tags):
        key, _, value = tag.partition(":")
        if key:
            labels[key] = f"{labels[key]},{value}" if key in labels else value
    return labels
