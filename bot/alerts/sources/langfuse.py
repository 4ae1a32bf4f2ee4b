"""Langfuse: prompt-version webhook events and score/evaluation monitor alerts.

Two shapes are accepted, told apart by `type`:

* `"prompt-version"` — Langfuse's own webhook event (Prompts ▸ Automations), as documented:
  `{"id", "timestamp", "type": "prompt-version", "apiVersion": "v1",
  "action": "created"|"updated"|"deleted", "prompt": {"id", "name", "version", "projectId",
  "labels": [str], "tags": [str], "commitMessage", ...}}`. It becomes a firing alert labelled
  `langfuse_event=prompt` so routing can treat prompt changes apart from monitor alerts.
* `"monitor.alert"` — our own shape for score/evaluation monitors (Langfuse has no fixed one):
  `{"type": "monitor.alert", "id", "timestamp", "status": "firing"|"resolved",
  "monitor": {"id", "name", "metric", "threshold", "operator"}, "value", "project_id",
  "environment", "trace_url", "severity", "description", "labels": {str: str}}`. Labelled
  `langfuse_event=monitor`.
"""

from __future__ import annotations

from typing import Any

from bot.alerts.schemas import AlertStatus, NormalizedAlert, Source
from bot.alerts.sources import common as c
from bot.errors import BadInput

PROMPT_EVENT = "prompt-version"
MONITOR_EVENT = "monitor.alert"


def parse(body: Any) -> list[NormalizedAlert]:
    """Return the one alert a Langfuse event carries."""
    event = c.as_object(body, "")
    kind = c.req_str(event, "type")
    if kind == PROMPT_EVENT:
        return [_prompt_alert(event)]
    if kind == MONITOR_EVENT:
        return [_monitor_alert(event)]
    message = f"expected {PROMPT_EVENT!r} or {MONITOR_EVENT!r}, got {kind[:40]!r}"
    raise BadInput(message, field="type")


def _prompt_alert(event: dict[str, Any]) -> NormalizedAlert:
    prompt = c.req_object(event, "prompt")
    action = c.req_str(event, "action")
    name = c.req_str(prompt, "name", "prompt")
    version = c.req_id(prompt, "version", "prompt")
    labels = _prompt_labels(prompt, action, name, version)
    return NormalizedAlert(
        source=Source.LANGFUSE,
        external_id=c.req_str(event, "id"),
        dedupe_key=f"langfuse-prompt:{labels.get('project_id', '')}:{name}:v{version}",
        status=AlertStatus.FIRING,
        title=c.title_text(f"Prompt {name} v{version} {action}"),
        description=c.description_text(c.opt_str(prompt, "commitMessage", "prompt")),
        labels=labels,
        starts_at=c.timestamp(event, "timestamp"),
        raw=event,
    )


def _prompt_labels(prompt: dict[str, Any], action: str, name: str, version: str) -> dict[str, str]:
    found = {
        "langfuse_event": "prompt",
        "action": action,
        "prompt_name": name,
        "prompt_version": version,
        "prompt_labels": ",".join(_strings(prompt, "labels", "prompt")),
        "prompt_tags": ",".join(_strings(prompt, "tags", "prompt")),
        "project_id": c.opt_str(prompt, "projectId", "prompt") or "",
    }
    return {key: value for key, value in found.items() if value}


def _strings(obj: dict[str, Any], key: str, parent: str) -> list[str]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadInput("expected an array of strings", field=c.path_of(parent, key))
    return value


def _monitor_alert(event: dict[str, Any]) -> NormalizedAlert:
    monitor = c.req_object(event, "monitor")
    status = c.status_of(c.opt_str(event, "status") or "firing", "status")
    when = c.timestamp(event, "timestamp")
    labels = _monitor_labels(event, monitor)
    return NormalizedAlert(
        source=Source.LANGFUSE,
        external_id=c.req_str(event, "id"),
        dedupe_key=_monitor_key(labels),
        status=status,
        severity=c.opt_str(event, "severity") or labels.get("severity"),
        title=c.title_text(c.req_str(monitor, "name", "monitor")),
        description=c.description_text(_monitor_description(event, monitor)),
        labels=labels,
        links=tuple(c.link("Trace", c.opt_str(event, "trace_url"))),
        starts_at=when if status is AlertStatus.FIRING else None,
        ends_at=when if status is AlertStatus.RESOLVED else None,
        values=_monitor_values(event, monitor),
        raw=event,
    )


def _monitor_labels(event: dict[str, Any], monitor: dict[str, Any]) -> dict[str, str]:
    own = {
        "langfuse_event": "monitor",
        "monitor_id": c.req_id(monitor, "id", "monitor"),
        "metric": c.opt_str(monitor, "metric", "monitor"),
        "environment": c.opt_str(event, "environment"),
        "project_id": c.opt_id(event, "project_id"),
    }
    given = c.labels_at(event, "labels")
    return given | {key: value for key, value in own.items() if value is not None}


def _monitor_key(labels: dict[str, str]) -> str:
    parts = (labels.get(k, "") for k in ("project_id", "monitor_id", "environment"))
    return "langfuse-monitor:" + ":".join(parts)


def _monitor_values(event: dict[str, Any], monitor: dict[str, Any]) -> dict[str, float]:
    metric = c.opt_str(monitor, "metric", "monitor") or "value"
    found = {metric: event.get("value"), "threshold": monitor.get("threshold")}
    paths = {metric: "value", "threshold": "monitor.threshold"}
    return {k: c.number(v, paths[k]) for k, v in found.items() if v is not None}


def _monitor_description(event: dict[str, Any], monitor: dict[str, Any]) -> str:
    given = c.opt_str(event, "description")
    if given is not None:
        return given
    if event.get("value") is None:
        return ""
    metric = c.opt_str(monitor, "metric", "monitor") or "value"
    operator = c.opt_str(monitor, "operator", "monitor") or "vs"
    return f"{metric} = {event['value']} (threshold: {operator} {monitor.get('threshold')})"
