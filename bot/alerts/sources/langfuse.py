"""Langfuse automations: Alerts (`monitor-alert`) and prompt-version webhook events.

Both are Langfuse's documented webhook bodies, told apart by `type`:

* `"monitor-alert"` — an Alert's severity changed (Alerts ▸ Automations ▸ Webhook):
  `{"id", "timestamp", "type": "monitor-alert", "apiVersion": "v1", "payload": {"monitorId",
  "projectId", "permalink", "message": {"title", "body"}, "severity": "ALERT"|"WARNING"|"OK"|
  "NO_DATA", "timestamp", "fromTimestamp", "toTimestamp", "view", "filters", "window"}}`.
  `OK` is the recovery (titled `[OK] <alert name>`); the others are firing, `ALERT` at P2 and
  `WARNING`/`NO_DATA` at P3 unless a routing rule says otherwise (label `langfuse_severity`).
  One alert per Langfuse Alert: the dedupe key is the project and the alert (`monitorId`).
* `"prompt-version"` — a prompt version was created, updated or deleted (Prompts ▸
  Automations): `{"id", "timestamp", "type", "apiVersion", "action", "prompt": {"id", "name",
  "version", "projectId", "labels", "tags", "commitMessage", ...}}`. It becomes a firing alert
  labelled `langfuse_event=prompt` so routing can treat prompt changes apart from alerts.
"""

from __future__ import annotations

from typing import Any

from bot.alerts.schemas import NormalizedAlert
from bot.alerts.sources import common as c
from bot.errors import BadInput
from bot.vocabulary import AlertStatus, Source

ALERT_EVENT = "monitor-alert"
PROMPT_EVENT = "prompt-version"
RECOVERED = "OK"
SEVERITIES = {"ALERT": "P2", "WARNING": "P3", "NO_DATA": "P3"}


def parse(body: Any) -> list[NormalizedAlert]:
    """Return the one alert a Langfuse event carries."""
    event = c.as_object(body, "")
    kind = c.req_str(event, "type")
    if kind == ALERT_EVENT:
        return [_alert(event)]
    if kind == PROMPT_EVENT:
        return [_prompt_alert(event)]
    message = f"expected {ALERT_EVENT!r} or {PROMPT_EVENT!r}, got {kind[:40]!r}"
    raise BadInput(message, field="type")


def _alert(event: dict[str, Any]) -> NormalizedAlert:
    body = c.req_object(event, "payload")
    level = _severity(body)
    status = AlertStatus.RESOLVED if level == RECOVERED else AlertStatus.FIRING
    labels = _alert_labels(body, level)
    when = c.timestamp(body, "timestamp", "payload") or c.timestamp(event, "timestamp")
    window_start = c.timestamp(body, "fromTimestamp", "payload")
    return NormalizedAlert(
        source=Source.LANGFUSE,
        external_id=c.req_id(event, "id"),
        dedupe_key=f"langfuse-alert:{labels['project_id']}:{labels['monitor_id']}",
        status=status,
        severity=SEVERITIES.get(level),
        title=c.title_text(_alert_title(body, labels["monitor_id"])),
        description=c.description_text(_alert_description(body)),
        labels=labels,
        links=tuple(c.link("Langfuse alert", c.opt_str(body, "permalink", "payload"))),
        # The evaluation window is the impact window: the breach began within it.
        starts_at=(window_start or when) if status is AlertStatus.FIRING else None,
        ends_at=when if status is AlertStatus.RESOLVED else None,
        raw=event,
    )


def _severity(body: dict[str, Any]) -> str:
    level = c.req_str(body, "severity", "payload").strip().upper()
    if level != RECOVERED and level not in SEVERITIES:
        known = ", ".join((*SEVERITIES, RECOVERED))
        raise BadInput(f"expected one of {known}, got {level[:40]!r}", field="payload.severity")
    return level


def _alert_labels(body: dict[str, Any], level: str) -> dict[str, str]:
    found = {
        "langfuse_event": "alert",
        "langfuse_severity": level,
        "monitor_id": c.req_id(body, "monitorId", "payload"),
        "project_id": c.req_id(body, "projectId", "payload"),
        "view": c.opt_str(body, "view", "payload"),
        "window": c.opt_str(body, "window", "payload"),
    }
    return {key: value for key, value in found.items() if value is not None}


def _alert_title(body: dict[str, Any], monitor_id: str) -> str:
    message = c.opt_object(body, "message", "payload")
    return c.opt_str(message, "title", "payload.message") or f"Langfuse alert {monitor_id}"


def _alert_description(body: dict[str, Any]) -> str:
    text = c.opt_str(c.opt_object(body, "message", "payload"), "body", "payload.message") or ""
    start = c.timestamp(body, "fromTimestamp", "payload")
    end = c.timestamp(body, "toTimestamp", "payload")
    if start is None or end is None:
        return text
    window = c.opt_str(body, "window", "payload")
    span = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC" + (f" ({window})" if window else "")
    return f"{text}\nWindow: {span}".strip()


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
