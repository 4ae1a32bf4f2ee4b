"""Pure alert rules: identity of a delivery, routing to type/severity/feature, grouping key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from bot.alerts.schemas import NormalizedAlert, Routing, RoutingRule
from bot.vocabulary import AlertStatus, IncidentType, Severity


@dataclass(frozen=True)
class Route:
    type: IncidentType
    severity: Severity
    feature: str | None
    responders: tuple[str, ...]
    group_key: str


def content_key(alert: NormalizedAlert) -> str:
    """Hash of the source and the alert's own JSON: a redelivery has the same key."""
    canonical = json.dumps(alert.raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{alert.source.value}\n{canonical}".encode()).hexdigest()


def route(alert: NormalizedAlert, routing: Routing) -> Route:
    """Decide type, severity, feature, responders and grouping key for an alert."""
    rule = _first_matching(alert.labels, routing.rules)
    return Route(
        type=(rule.type if rule and rule.type else None) or _type(alert, routing),
        severity=(rule.severity if rule and rule.severity else None) or _severity(alert, routing),
        feature=(rule.feature if rule and rule.feature else None) or _feature(alert, routing),
        responders=tuple(rule.responders) if rule else (),
        group_key=group_key(alert, rule),
    )


def matches(labels: dict[str, str], rule: RoutingRule) -> bool:
    """Whether every label the rule names has the rule's value (or one of its values)."""
    for name, wanted in rule.match.items():
        options = wanted if isinstance(wanted, list) else [wanted]
        if labels.get(name) not in options:
            return False
    return True


def _first_matching(labels: dict[str, str], rules: list[RoutingRule]) -> RoutingRule | None:
    return next((r for r in rules if matches(labels, r)), None)


def _type(alert: NormalizedAlert, routing: Routing) -> IncidentType:
    value = alert.labels.get(routing.type_label, "").strip().lower().replace("-", "_")
    try:
        return IncidentType(value)
    except ValueError:
        return routing.default_type


def parse_severity(value: str | None, routing: Routing) -> Severity | None:
    """Map a monitor's severity word (critical, warning, P4, sev1…) to P1–P3."""
    word = (value or "").strip().lower()
    if not word:
        return None
    if word in routing.severity_map:
        return routing.severity_map[word]
    digits = word.removeprefix("sev").removeprefix("p").strip("-_ ")
    if digits.isdigit():
        return Severity(f"P{min(max(int(digits), 1), 3)}")
    return None


def _severity(alert: NormalizedAlert, routing: Routing) -> Severity:
    labelled = parse_severity(alert.labels.get(routing.severity_label), routing)
    return labelled or parse_severity(alert.severity, routing) or routing.default_severity


def _feature(alert: NormalizedAlert, routing: Routing) -> str | None:
    return next((alert.labels[n] for n in routing.feature_labels if alert.labels.get(n)), None)


def group_key(alert: NormalizedAlert, rule: RoutingRule | None) -> str:
    """The key of the incident an alert belongs to.

    A matching rule's `group_by` labels win; else the monitor's own notification group (one
    incident per Alertmanager/Grafana group, as their PagerDuty and Opsgenie receivers do);
    else the alert's dedupe key.
    """
    if rule is not None and rule.group_by:
        parts = [f"{name}={alert.labels.get(name, '')}" for name in rule.group_by]
        return "group:" + _digest("\n".join(parts))
    if alert.group:
        return f"{alert.source.value}:group:{_digest(alert.group)}"
    return f"{alert.source.value}:{alert.dedupe_key}"[:300]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class MonitorState:
    """How many of an incident's distinct alerts are firing and resolved, each by its latest."""

    firing: int
    resolved: int

    @property
    def all_resolved(self) -> bool:
        """Whether every alert the monitors sent for the incident has resolved."""
        return self.firing == 0 and self.resolved > 0


def monitor_state(latest: Iterable[AlertStatus]) -> MonitorState:
    """Count the latest status of each distinct alert (one value per dedupe key)."""
    statuses = list(latest)
    firing = sum(1 for status in statuses if status is AlertStatus.FIRING)
    return MonitorState(firing=firing, resolved=len(statuses) - firing)
