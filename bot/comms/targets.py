"""Where approved communications are published: a Slack channel, Statuspage, a webhook.

Targets come from the `status_targets` list of the YAML config. Credentials are named by
environment variable, never written inline. Each target takes one audience and declares the
kinds it takes (or gets the defaults for its kind of target). A public target (a status page,
or any external target not marked `public: false`) never takes an affected-users notice or a
legal & leadership notice, whatever the config or the templates say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bot.comms.schemas import Scope, StatusPageStatus
from bot.vocabulary import Audience, CommsKind, Severity, TargetKind

TARGET_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,59}$"


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


# Addressed to particular people (the affected users; legal and leadership): never published.
NEVER_PUBLIC = frozenset({CommsKind.AFFECTED_USERS, CommsKind.LEGAL_LEADERSHIP})
_PUBLIC_UPDATES = (CommsKind.ACKNOWLEDGEMENT, CommsKind.STATUS_UPDATE, CommsKind.RESOLUTION)
_EXTERNAL_DEFAULT = frozenset({*_PUBLIC_UPDATES, CommsKind.FOLLOW_UP})
_INTERNAL_DEFAULT = frozenset({CommsKind.STAKEHOLDER_UPDATE, CommsKind.LEGAL_LEADERSHIP})


class _Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=TARGET_NAME_PATTERN, description="Unique name, e.g. 'public-status'")
    audience: Audience = Audience.EXTERNAL
    kinds: list[CommsKind] | None = Field(
        None, min_length=1, description="The kinds published here (left out: the defaults)"
    )
    public: bool | None = Field(
        None, description="Anyone can read it (left out: true for external targets)"
    )

    @property
    def is_public(self) -> bool:
        """Whether anyone can read what is published here."""
        return self.public if self.public is not None else self.audience is Audience.EXTERNAL

    def takes(self) -> frozenset[CommsKind]:
        """The kinds published here: as configured, else the defaults for this target."""
        if self.kinds is not None:
            return frozenset(self.kinds)
        return _EXTERNAL_DEFAULT if self.audience is Audience.EXTERNAL else _INTERNAL_DEFAULT

    def accepts(self, kind: CommsKind, audience: Audience) -> bool:
        """Whether a draft of this kind and audience is published here."""
        if self.is_public and kind in NEVER_PUBLIC:
            return False
        return audience is self.audience and kind in self.takes()

    @model_validator(mode="after")
    def _private_kinds_stay_private(self) -> _Target:
        leaked = sorted(k.value for k in self.takes() & NEVER_PUBLIC) if self.is_public else []
        if leaked:
            raise ValueError(
                f"{self.name} is public, so it cannot take {', '.join(leaked)} (they are "
                "addressed to particular people); send them to a target with `public: false`"
            )
        return self


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
        if self.audience is not Audience.EXTERNAL or self.public is False:
            raise ValueError(
                "a status page is public: its audience must be external, and it cannot be "
                "marked `public: false`"
            )
        return self

    def takes(self) -> frozenset[CommsKind]:
        """The kinds published here: as configured, else the public updates."""
        return frozenset(self.kinds) if self.kinds is not None else frozenset(_PUBLIC_UPDATES)


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


def audience_problems(
    targets: list[Target], audience_of: Callable[[CommsKind], Audience]
) -> list[str]:
    """Name each target that lists a kind written for another audience (it would never match)."""
    problems = []
    for target in targets:
        wrong = sorted(k.value for k in target.takes() if audience_of(k) is not target.audience)
        if target.kinds is not None and wrong:
            problems.append(
                f"status target {target.name} takes {', '.join(wrong)}, which "
                f"{'is' if len(wrong) == 1 else 'are'} not written for its "
                f"{target.audience.value} audience"
            )
    return problems


@dataclass(frozen=True)
class Destination:
    """Where something is published, for people: a Slack channel (shown as a link) or a label."""

    label: str
    channel: str | None = None


def describe(target: Target) -> Destination:
    """Name a target briefly: its Slack channel, or e.g. 'Statuspage public-status'."""
    if isinstance(target, SlackTarget):
        return Destination("", target.channel)
    return Destination(f"{TargetKind(target.kind).label} {target.name}")


def destination(target: Target) -> Destination:
    """Say exactly where a target publishes, e.g. 'Statuspage public-status (page abc123)'."""
    if isinstance(target, StatuspageTarget):
        return Destination(f"Statuspage {target.name} (page {target.page_id}, public)")
    seen_by = "public" if target.is_public else "private"
    if isinstance(target, SlackTarget):
        return Destination(f"(Slack target {target.name}, {seen_by})", target.channel)
    return Destination(f"Webhook {target.name} ({urlsplit(target.url).netloc}, {seen_by})")


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
