"""The optional YAML config (INCIDENTBOT_CONFIG): routing, channels, responders, providers.

Each stage owns the schema of its own part (`alerts.schemas.Routing`,
`containment.schemas.Provider`, `comms.targets.Targets`, `trackers.schemas.Tracker`,
`paging.schemas.Paging`); this module composes them, so it sits above the stages, below the flows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.alerts.schemas import Routing
from bot.comms.schemas import ZoneName
from bot.comms.targets import Targets
from bot.containment.schemas import Containment, Provider
from bot.errors import ConfigError
from bot.paging.schemas import Paging
from bot.signals.schemas import Signals
from bot.storm.schemas import Storm
from bot.trackers.schemas import Tracker
from bot.vocabulary import ActionKind, IncidentType, ItemEditor, Role, Severity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    override_comms_lint: list[Role] = Field(default_factory=lambda: [Role.COMMS])


class Webhooks(_Strict):
    """Signing secrets for alert sources, named by environment variable."""

    pagerduty_secrets_env: str = Field(
        default="PAGERDUTY_WEBHOOK_SECRETS", description="Comma-separated v3 webhook secrets"
    )
    grafana_secret_env: str = "GRAFANA_WEBHOOK_SECRET"
    langfuse_secret_env: str = "LANGFUSE_WEBHOOK_SECRET"


class Digest(_Strict):
    """When the weekly action-item digest goes out (weekday 0 = Monday, local hour)."""

    weekday: int = Field(default=0, ge=0, le=6)
    hour: int = Field(default=9, ge=0, le=23)
    tz: str = "UTC"
    channel: str | None = Field(
        default=None, description="Channel id for the digest; default the managers' channel"
    )

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_zone(value)


class Followup(_Strict):
    """Fix validation, postmortems and action-item follow-up."""

    validation_required: dict[IncidentType, bool | list[Severity]] = Field(
        default_factory=dict,
        description="Per type: true/false or the severities needing an eval-validated fix",
    )
    alpha: float = Field(default=0.05, gt=0, lt=1)
    due_days: dict[Severity, Annotated[int, Field(ge=1, le=365)]] = Field(
        default_factory=dict, description="Days until a new action item is due, per severity"
    )
    publish_requires: list[ActionKind] = Field(
        default_factory=lambda: [ActionKind.EVAL_CASE, ActionKind.DETECTION]
    )
    publish_postmortem: list[Role] = Field(default_factory=lambda: [Role.COMMANDER])
    teams: dict[str, list[str]] = Field(default_factory=dict, description="Team → user ids")
    managers: list[str] = Field(
        default_factory=list, description="User ids of the managers who may change any item"
    )
    item_changes: list[ItemEditor] = Field(
        default_factory=lambda: [ItemEditor.OWNER, ItemEditor.MANAGER],
        description="Who may change an action item's state or due date; [] means anyone",
    )
    timezone: str = Field(default="UTC", description="Zone for 'today' and the postmortem")
    digest: Digest = Field(default_factory=Digest)
    stats_days: int = Field(default=30, ge=1, le=3650, description="Period of /metrics durations")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_zone(value)


def _check_zone(value: str) -> str:
    """Refuse a time zone name the zone database does not know."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class Web(_Strict):
    """The managers' web pages under /ui."""

    public_url: str | None = Field(
        default=None, description="Where people reach the bot, e.g. https://incidents.example.com"
    )
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_link_minutes: int = Field(default=15, ge=1, le=24 * 60)

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for local use)")
        return value.rstrip("/") if value else value


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
    containment: Containment = Field(default_factory=Containment)
    status_targets: Targets = Field(default_factory=list)
    templates_dir: Path | None = Field(
        default=None, description="Folder with comms/ and postmortem/ templates that override ours"
    )
    playbooks_dir: Path | None = Field(default=None, description="Folder replacing our playbooks")
    internal_terms: list[str] = Field(default_factory=list)
    comms_cadence_minutes: dict[Severity, int] = Field(default_factory=dict)
    comms_timezone: ZoneName = Field("UTC", description="IANA zone times in drafts are shown in")
    followup: Followup = Field(default_factory=Followup)
    web: Web = Field(default_factory=Web)
    trackers: dict[str, Tracker] = Field(
        default_factory=dict, description="Jira projects and Linear teams action items go to"
    )
    paging: Paging = Field(default_factory=Paging)
    signals: Signals = Field(default_factory=Signals)
    eval_runner: str | None = Field(
        default=None, description="Name of the provider (kind eval_runner) behind 'Run evals'"
    )
    storm: Storm = Field(default_factory=Storm)


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
