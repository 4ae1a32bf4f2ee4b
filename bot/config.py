"""The optional YAML config (INCIDENTBOT_CONFIG): routing, channels, responders, providers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ConfigError
from bot.incidents.schemas import IncidentType, Role, Severity


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
        description="Labels whose values form the grouping key instead of the dedupe key",
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


class Channels(_Strict):
    announce: str | None = Field(
        default=None, description="Channel id where new incidents are announced"
    )
    managers: str | None = Field(default=None, description="Channel id for overdue action items")
    prefix: str = "inc"


class Permissions(_Strict):
    """Which roles may do what; an empty list means anyone."""

    severity: list[Role] = Field(default_factory=lambda: [Role.COMMANDER])
    type: list[Role] = Field(default_factory=lambda: [Role.COMMANDER])
    resolve: list[Role] = Field(default_factory=lambda: [Role.COMMANDER])
    containment: list[Role] = Field(default_factory=lambda: [Role.COMMANDER, Role.ENGINEERING])
    publish_comms: list[Role] = Field(default_factory=lambda: [Role.COMMS, Role.COMMANDER])


class Provider(_Strict):
    """A containment provider; credentials are named by environment variable, never inline."""

    kind: str
    url: str | None = None
    token_env: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Webhooks(_Strict):
    """Signing secrets for alert sources, named by environment variable."""

    pagerduty_secrets_env: str = Field(
        default="PAGERDUTY_WEBHOOK_SECRETS", description="Comma-separated v3 webhook secrets"
    )
    grafana_secret_env: str = "GRAFANA_WEBHOOK_SECRET"


class Config(_Strict):
    routing: Routing = Field(default_factory=Routing)
    webhooks: Webhooks = Field(default_factory=Webhooks)
    channels: Channels = Field(default_factory=Channels)
    default_responders: list[str] = Field(default_factory=list)
    permissions: Permissions = Field(default_factory=Permissions)
    role_nudge_minutes: int = 5
    providers: dict[str, Provider] = Field(default_factory=dict)
    actions: dict[str, str] = Field(
        default_factory=dict, description="Containment action key → provider name"
    )
    status_targets: list[dict[str, Any]] = Field(default_factory=list)
    templates_dir: Path | None = Field(
        default=None, description="Folder with comms/ and postmortem/ templates that override ours"
    )
    playbooks_dir: Path | None = Field(default=None, description="Folder replacing our playbooks")
    internal_terms: list[str] = Field(default_factory=list)
    comms_cadence_minutes: dict[Severity, int] = Field(default_factory=dict)


def load_config(path: Path | None) -> Config:
    """Read and validate the YAML config; no path means all defaults."""
    if path is None:
        return Config()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Config.model_validate(data)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}"
