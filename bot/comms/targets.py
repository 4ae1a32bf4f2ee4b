"""Where approved communications are published: a Slack channel, Statuspage, a webhook.

Targets come from the `status_targets` list of the YAML config. Credentials are named by
environment variable, never written inline. Each target takes one audience: internal drafts
(stakeholder, legal & leadership) never reach a public status page.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bot.comms.kinds import CommsKind
from bot.comms.schemas import Audience, Scope, StatusPageStatus
from bot.incidents.schemas import Severity

TARGET_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,59}$"


class TargetKind(StrEnum):
    SLACK = "slack"
    STATUSPAGE = "statuspage"
    WEBHOOK = "webhook"

    @property
    def label(self) -> str:
        """Product name for messages, e.g. 'Statuspage'."""
        return {"slack": "Slack", "statuspage": "Statuspage", "webhook": "Webhook"}[self.value]


class ComponentStatus(StrEnum):
    """Statuspage component statuses."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"


def _default_impact() -> dict[Severity, ComponentStatus]:
    # AI incidents usually leave the service up but its answers worse: degraded, not down.
    return {
        Severity.P1: ComponentStatus.PARTIAL_OUTAGE,
        Severity.P2: ComponentStatus.DEGRADED_PERFORMANCE,
        Severity.P3: ComponentStatus.DEGRADED_PERFORMANCE,
    }


class _Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=TARGET_NAME_PATTERN, description="Unique name, e.g. 'public-status'")
    audience: Audience = Audience.EXTERNAL
    kinds: list[CommsKind] = Field(
        default_factory=list, description="Only these kinds (empty: every kind of the audience)"
    )

    def accepts(self, kind: CommsKind, audience: Audience) -> bool:
        """Whether a draft of this kind and audience is published here."""
        return audience is self.audience and (not self.kinds or kind in self.kinds)


class SlackTarget(_Target):
    """Post the text to a Slack channel the bot is a member of."""

    kind: Literal["slack"] = "slack"
    channel: str = Field(min_length=1, description="Channel id, e.g. C0123456789")


class StatuspageTarget(_Target):
    """Create (first publish) or update (afterwards) an Atlassian Statuspage incident."""

    kind: Literal["statuspage"] = "statuspage"
    page_id: str = Field(min_length=1)
    api_key_env: str = Field(min_length=1, description="Environment variable with the API key")
    api_url: str = "https://api.statuspage.io/v1"
    component_ids: list[str] = Field(default_factory=list)
    impact: dict[Severity, ComponentStatus] = Field(default_factory=_default_impact)
    deliver_notifications: bool = True

    @model_validator(mode="after")
    def _external_only(self) -> StatuspageTarget:
        if self.audience is not Audience.EXTERNAL:
            raise ValueError("a status page is public: its audience must be external")
        return self


class WebhookTarget(_Target):
    """POST a JSON description of the published message to a URL."""

    kind: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://")
    token_env: str | None = Field(None, description="Environment variable with a bearer token")


Target = Annotated[SlackTarget | StatuspageTarget | WebhookTarget, Field(discriminator="kind")]


def _unique_names(targets: list[Target]) -> list[Target]:
    names = [t.name for t in targets]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"status target names must be unique: {', '.join(twice)}")
    return targets


Targets = Annotated[list[Target], AfterValidator(_unique_names)]


def matching(targets: list[Target], kind: CommsKind, audience: Audience) -> list[Target]:
    """Return the targets a draft of this kind and audience is published to, in config order."""
    return [t for t in targets if t.accepts(kind, audience)]


def credential_problems(targets: list[Target], env: Mapping[str, str]) -> list[str]:
    """Name each target whose credential environment variable is not set."""
    problems = []
    for target in targets:
        name = getattr(target, "api_key_env", None) or getattr(target, "token_env", None)
        if name and not env.get(name):
            problems.append(
                f"status target {target.name}: the environment variable {name} is not set"
            )
    return problems


def describe(target: Target) -> str:
    """Name a target for people, e.g. 'Statuspage public-status' or 'Slack <#C1>'."""
    if isinstance(target, SlackTarget):
        return f"<#{target.channel}>"
    return f"{TargetKind(target.kind).label} {target.name}"


def statuspage_body(
    target: StatuspageTarget, *, title: str, text: str, scope: Scope
) -> dict[str, Any]:
    """Return the Statuspage incident body for a create (POST) or an update (PATCH)."""
    resolved = scope.status_page_status is StatusPageStatus.RESOLVED
    impact = _default_impact() | target.impact
    status = ComponentStatus.OPERATIONAL if resolved else impact[scope.severity]
    incident: dict[str, Any] = {
        "name": title,
        "status": scope.status_page_status.value,
        "body": text,
        "deliver_notifications": target.deliver_notifications,
    }
    if target.component_ids:
        incident["component_ids"] = list(target.component_ids)
        incident["components"] = {cid: status.value for cid in target.component_ids}
    return {"incident": incident}
