"""Paging on-call responders through PagerDuty: the config, and what a page is to show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.vocabulary import PageState, Severity

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PagerDutyTarget(_Strict):
    """A PagerDuty service (paged through its Events API v2 integration), or an escalation
    policy (paged through the REST API: an incident on `service`, assigned to the policy)."""

    kind: Literal["pagerduty"]
    routing_key_env: str | None = Field(
        default=None, description="Variable holding a service's integration (routing) key"
    )
    escalation_policy: str | None = Field(default=None, description="Its id, e.g. PT20YPA")
    service: str | None = Field(default=None, description="The service its incident is on")
    severities: list[Severity] = Field(
        default_factory=list,
        description="Paged automatically when an incident opens or is raised to one of these",
    )
    description: str | None = Field(default=None, description="Shown in `/incident page` usage")
    events_url: str = EVENTS_URL

    @model_validator(mode="after")
    def _one_way(self) -> PagerDutyTarget:
        if (self.routing_key_env is None) == (self.escalation_policy is None):
            raise ValueError("give either routing_key_env (a service) or escalation_policy")
        if self.escalation_policy is not None and self.service is None:
            raise ValueError("an escalation_policy target needs the service its incident is on")
        return self


class PagerDutyApi(_Strict):
    """The REST API: who is on call, and paging escalation policies."""

    token_env: str = Field(default="PAGERDUTY_API_TOKEN", description="Variable with a REST key")
    from_email: str | None = Field(
        default=None, description="A PagerDuty user's email; REST writes are made as them"
    )
    url: str = "https://api.pagerduty.com"


class OnCall(_Strict):
    """Whose turn it is: the on-call of a PagerDuty schedule is offered as commander."""

    schedule_id: str = Field(description="The schedule's id, e.g. PI7DH85")


class Paging(_Strict):
    targets: dict[str, PagerDutyTarget] = Field(default_factory=dict)
    oncall: OnCall | None = None
    api: PagerDutyApi = Field(default_factory=PagerDutyApi)


ORDER = (PageState.TRIGGERED, PageState.ACKNOWLEDGED, PageState.RESOLVED)


@dataclass(frozen=True)
class PageView:
    """A page as the summary and replies show it."""

    target: str
    wanted: PageState
    sent: PageState | None
    error: str | None
