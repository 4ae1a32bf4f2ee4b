"""Communications data: the editable scope a draft is filled from, drafts, incident facts, lint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.vocabulary import Audience, CommsKind, IncidentType, Severity, Status


def known_zone(value: str) -> str:
    """Return `value` if it is an IANA time zone name, else raise ValueError."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}; use an IANA name") from exc
    return value


ZoneName = Annotated[str, AfterValidator(known_zone)]


class StatusPageStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Scope(BaseModel):
    """The facts a draft is filled from, in user terms; every field is editable by the comms lead.

    Free-text fields are plain phrases without markup; empty means "not filled in yet".
    """

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")

    incident_title: str
    incident_type: IncidentType
    severity: Severity
    feature: str = Field("", description="Affected feature in user terms, e.g. 'Smart Reply'.")
    what_happened: str = Field("", description="What went wrong, in user terms; a short clause.")
    window_start: AwareDatetime
    window_end: AwareDatetime | None = Field(None, description="None while still ongoing.")
    timezone: str = Field("UTC", description="IANA zone the times are shown in.")
    segment: str = Field("", description="Who is affected, e.g. 'Smart Reply users in the EU'.")
    affected_count: int | None = Field(None, ge=0)
    user_action: str = Field("", description="What users should do or verify.")
    actions_taken: str = Field("", description="What has been done so far.")
    next_update_at: AwareDatetime | None = None
    status_page_status: StatusPageStatus = StatusPageStatus.INVESTIGATING
    prevention: str = Field("", description="For follow-ups: what changed to prevent a repeat.")
    lead: str = Field("", description="Who is leading the response, e.g. 'Dana Ruiz (commander)'.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("window_start", "window_end", "next_update_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        if self.window_end is not None and self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        return self


class Draft(BaseModel):
    """A rendered communication awaiting edit and approval; `title` is its first rendered line."""

    model_config = ConfigDict(frozen=True)

    kind: CommsKind
    audience: Audience
    title: str
    text: str
    scope: Scope


class IncidentFacts(BaseModel):
    """What the bot knows about an incident, supplied by the caller to prefill a scope."""

    model_config = ConfigDict(frozen=True)

    title: str
    type: IncidentType
    severity: Severity
    status: Status
    feature: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    first_alert_at: AwareDatetime | None = None
    declared_at: AwareDatetime
    contained_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    containment_summaries: list[str] = Field(default_factory=list)
    alert_titles: list[str] = Field(default_factory=list)
    lead: str | None = None


class LintRule(StrEnum):
    REQUIRED = "required_field"
    VAGUE = "vague"
    BLAMES_AI = "blames_ai"
    JARGON = "internal_jargon"
    PLACEHOLDER = "placeholder"
    PERSONAL_DATA = "personal_data"


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One problem in a draft; `excerpt` is the matched text, `field` the scope field if any."""

    rule: LintRule
    message: str
    excerpt: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class LintResult:
    """Blocking `errors` (missing required scope) and advisory `warnings` (wording)."""

    errors: tuple[LintFinding, ...] = ()
    warnings: tuple[LintFinding, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether nothing blocks approval."""
        return not self.errors

    @property
    def findings(self) -> tuple[LintFinding, ...]:
        """Return errors then warnings."""
        return self.errors + self.warnings


_SHARED: tuple[str, ...] = ("feature", "what_happened", "segment")

REQUIRED_FIELDS: dict[CommsKind, tuple[str, ...]] = {
    CommsKind.ACKNOWLEDGEMENT: (*_SHARED, "next_update_at"),
    CommsKind.STATUS_UPDATE: (*_SHARED, "actions_taken", "next_update_at"),
    CommsKind.RESOLUTION: (*_SHARED, "window_end", "actions_taken", "user_action"),
    CommsKind.FOLLOW_UP: (*_SHARED, "window_end", "prevention"),
    CommsKind.AFFECTED_USERS: (*_SHARED, "user_action"),
    CommsKind.STAKEHOLDER_UPDATE: (*_SHARED, "actions_taken", "next_update_at"),
    CommsKind.LEGAL_LEADERSHIP: (*_SHARED, "actions_taken", "lead", "next_update_at"),
}

FIELD_LABELS: dict[str, str] = {
    "feature": "affected feature",
    "what_happened": "what happened",
    "segment": "who is affected",
    "window_end": "end of the affected window",
    "next_update_at": "time of the next update",
    "actions_taken": "what has been done",
    "user_action": "what users should do",
    "prevention": "what was changed to prevent a repeat",
    "lead": "who is leading the response",
}
