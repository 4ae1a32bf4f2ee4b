"""Issue trackers (Jira Cloud, Linear): their config, sync states and what an issue says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.vocabulary import ActionKind, ActionState, SyncState, TrackerKind


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Tracker(_Strict):
    teams: list[str] = Field(
        default_factory=list, description="Teams (followup.teams) whose items go to this tracker"
    )
    default: bool = Field(default=False, description="Also take items of teams no tracker lists")
    webhook_secret_env: str | None = Field(
        default=None, description="Variable holding the webhook's signing secret"
    )


class JiraTracker(_Tracker):
    """A Jira Cloud project; the API token belongs to the account `email_env` names."""

    kind: Literal["jira"]
    url: str = Field(description="The site, e.g. https://your-domain.atlassian.net")
    project: str = Field(description="Project key, e.g. AIQ")
    issue_type: str = "Task"
    email_env: str = "JIRA_EMAIL"
    token_env: str = "JIRA_API_TOKEN"

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https://")
        return value.rstrip("/")


class LinearTracker(_Tracker):
    """A Linear team; the API key is a personal key or an OAuth token (`Bearer …`)."""

    kind: Literal["linear"]
    team_id: str = Field(description="The team's id (UUID), from Linear's API or settings")
    api_key_env: str = "LINEAR_API_KEY"
    url: str = "https://api.linear.app/graphql"


Tracker = Annotated[JiraTracker | LinearTracker, Field(discriminator="kind")]


@dataclass(frozen=True)
class IssueDraft:
    """What a new tracker issue says about its action item."""

    item_id: int
    text: str
    kind: ActionKind
    due: date
    incident_number: int
    incident_title: str
    incident_link: str | None
    owner_name: str
    owner_email: str | None


@dataclass(frozen=True)
class RemoteIssue:
    """An issue as the tracker knows it: its ids, link, and the item state it shows."""

    remote_id: str
    key: str
    url: str
    state: ActionState | None = None
    due: date | None = None


@dataclass(frozen=True)
class TrackerRef:
    """An item's tracker issue as lists, messages and exports show it."""

    tracker: str
    kind: TrackerKind
    key: str | None
    url: str | None
    sync: SyncState
    error: str | None = None
