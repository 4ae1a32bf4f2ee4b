"""Datadog webhooks integration: the default payload, and payloads built from Datadog's variables.

Three forms are accepted, key by key, so any of them works without a custom parser:

* Datadog's default payload (a webhook created without one): `{"body", "last_updated",
  "event_type", "title", "date", "org": {"id", "name"}, "id"}`. The transition is only in the
  event title's leading tag — `[Triggered]`, `[Recovered]`, `[Warn]`, `[Re-Triggered]`,
  `[No Data]`, `[Triggered on {host:…}]` — and a `[P1]` tag there gives the priority.
* Keys named after Datadog's variables: `alert_transition`, `alert_id`, `alert_cycle_key`,
  `aggreg_key`, `alert_priority`, `alert_title`, `alert_metric`, `alert_scope`, `host_name`,
  `tags`, `link`, `date`, ...
* The template in README.md: `transition`, `title`, `message`, `priority` ($ALERT_PRIORITY),
  `metric`, `hostname`, ...

A `Recovered` transition resolves; every other one fires. The dedupe key is $ALERT_CYCLE_KEY
(trigger to recovery), else $AGGREG_KEY, else $ALERT_ID with $ALERT_SCOPE, else the event title
without its transition tag (with the scope the tag names, e.g. `{host:web-1}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.alerts.schemas import NormalizedAlert
from bot.alerts.sources import common as c
from bot.errors import BadInput
from bot.vocabulary import AlertStatus, Source

_TAG = re.compile(r"\s*\[([^\]]*)\]")
_TRANSITION = re.compile(
    r"(?:Re-)?(?:Triggered|Recovered|Warn|No Data|Renotify)(?:\s+on\s+(?P<scope>.+))?",
    re.IGNORECASE,
)
_PRIORITY = re.compile(r"P[1-5]", re.IGNORECASE)


def parse(body: Any) -> list[NormalizedAlert]:
    """Return the one alert a Datadog webhook carries."""
    event = c.as_object(body, "")
    raw_title = _first(event, "title", "alert_title", "event_title")
    if raw_title is None:
        raise BadInput("is required ($EVENT_TITLE or $ALERT_TITLE)", field="title")
    title, tags = _split_title(raw_title)
    transition = _first(event, "transition", "alert_transition") or tags.transition
    if transition is None:
        raise BadInput(
            "is required: send $ALERT_TRANSITION, or Datadog's event title that starts "
            "with [Triggered] or [Recovered]",
            field="transition",
        )
    status = AlertStatus.RESOLVED if "recovered" in transition.lower() else AlertStatus.FIRING
    dedupe_key = _dedupe_key(event, title, tags.scope)
    when = _when(event)
    return [
        NormalizedAlert(
            source=Source.DATADOG,
            external_id=c.opt_id(event, "id")
            or c.occurrence_id(f"{dedupe_key}:{transition}", when),
            dedupe_key=dedupe_key,
            status=status,
            severity=_priority(event) or tags.priority,
            title=c.title_text(title or raw_title),
            description=c.description_text(_first(event, "message", "body", "text_only_msg")),
            labels=_labels(event),
            links=tuple(c.link("Datadog", c.opt_str(event, "link"))),
            starts_at=when if status is AlertStatus.FIRING else None,
            ends_at=when if status is AlertStatus.RESOLVED else None,
            raw=event,
        )
    ]


@dataclass
class _TitleTags:
    """What the leading `[...]` tags of a Datadog event title say."""

    transition: str | None = None
    scope: str | None = None
    priority: str | None = None


def _split_title(title: str) -> tuple[str, _TitleTags]:
    """Strip leading transition and priority tags; return the rest and what the tags said."""
    tags, rest = _TitleTags(), title
    while (match := _TAG.match(rest)) is not None:
        inner = match.group(1).strip()
        if (transition := _TRANSITION.fullmatch(inner)) is not None and tags.transition is None:
            tags.transition, tags.scope = inner, transition.group("scope")
        elif _PRIORITY.fullmatch(inner) and tags.priority is None:
            tags.priority = inner.upper()
        else:
            break
        rest = rest[match.end() :]
    return rest.strip(), tags


def _first(event: dict[str, Any], *keys: str) -> str | None:
    return next((v for k in keys if (v := c.opt_id(event, k)) is not None), None)


def _dedupe_key(event: dict[str, Any], title: str, scope: str | None) -> str:
    key = _first(event, "alert_cycle_key", "aggreg_key")
    if key is not None:
        return key
    alert_id = _first(event, "alert_id")
    given_scope = _first(event, "alert_scope")
    if alert_id is not None:
        return f"{alert_id}:{given_scope}" if given_scope else alert_id
    org = c.opt_object(event, "org")
    return "title:" + c.stable_hash(c.label_value(org.get("id")), scope or given_scope, title)


def _when(event: dict[str, Any]) -> datetime | None:
    for key in ("date", "last_updated"):
        if event.get(key) not in (None, ""):
            return c.epoch_ms(event[key], key)
    return None


def _priority(event: dict[str, Any]) -> str | None:
    # `priority` is $ALERT_PRIORITY in our template but $PRIORITY (normal/low) in Datadog's
    # variable-named form, so only a P1–P5 value there counts as the monitor's priority.
    given = _first(event, "alert_priority")
    if given is not None:
        return given
    value = _first(event, "priority")
    return value.upper() if value is not None and _PRIORITY.fullmatch(value.strip()) else None


def _labels(event: dict[str, Any]) -> dict[str, str]:
    labels = parse_tags(event.get("tags"), "tags")
    for key, value in parse_tags(event.get("alert_scope"), "alert_scope").items():
        labels.setdefault(key, value)
    found = {
        "host": _first(event, "hostname", "host_name"),
        "metric": _first(event, "metric", "alert_metric"),
        "event_type": _first(event, "event_type"),
    }
    for label, found_value in found.items():
        if found_value is not None:
            labels.setdefault(label, found_value)
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
