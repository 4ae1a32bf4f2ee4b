"""The normalized alert every source parser produces, and the routing rules applied to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.vocabulary import AlertStatus, IncidentType, Severity, Source


class Link(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    url: str


class NormalizedAlert(BaseModel):
    """One alert from any monitor, in one shape."""

    model_config = ConfigDict(frozen=True)

    source: Source
    external_id: str = Field(description="The monitor's own id for this alert or event")
    dedupe_key: str = Field(description="Same key = same underlying problem")
    group: str | None = Field(
        default=None,
        description="The monitor's own notification group (Alertmanager's groupKey): "
        "the alerts of one group share an incident unless a routing rule groups otherwise",
    )
    status: AlertStatus
    severity: str | None = Field(default=None, description="Severity as the monitor said it")
    title: str
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    links: tuple[Link, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    values: dict[str, float] = Field(default_factory=dict)
    raw: dict[str, Any] = Field(default_factory=dict, description="This alert's own JSON item")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoutingRule(_Strict):
    """When every `match` label equals (or, for lists, is one of) the alert's, apply `set`."""

    match: dict[str, str | list[str]] = Field(default_factory=dict)
    type: IncidentType | None = None
    severity: Severity | None = None
    feature: str | None = None
    responders: list[str] = Field(default_factory=list)
    group_by: list[str] | None = Field(
        default=None,
        description="Labels whose values form the grouping key, instead of the monitor's "
        "notification group or the dedupe key",
    )


class Routing(_Strict):
    type_label: str = "ai_incident_type"
    severity_label: str = "severity"
    feature_labels: list[str] = Field(default_factory=lambda: ["feature", "service"])
    default_type: IncidentType = IncidentType.QUALITY_REGRESSION
    default_severity: Severity = Severity.P2
    severity_map: dict[str, Severity] = Field(
        default_factory=lambda: {
            "critical": Severity.P1,
            "page": Severity.P1,
            "high": Severity.P1,
            "error": Severity.P2,
            "warning": Severity.P2,
            "medium": Severity.P2,
            "info": Severity.P3,
            "low": Severity.P3,
            "none": Severity.P3,
        }
    )
    rules: list[RoutingRule] = Field(default_factory=list)
